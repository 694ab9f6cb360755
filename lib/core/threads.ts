import { native } from '../native/addon.js';

/** Number of OpenMP threads used by native work (initially OMP_NUM_THREADS or the core count). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${String(n)}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

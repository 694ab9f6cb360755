// The benchmarks' reproducible random numbers: a 32-bit linear congruential
// generator, uniform in [0, 1), the same sequence on every run and machine.
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

// Wall-clock timing with a warm-up run; benchmarks quote medians.
export interface Timing {
  median: number; // seconds
  min: number;
  runs: number;
}

export function time(fn: () => unknown, { runs = 5, warmup = 1 } = {}): Timing {
  for (let k = 0; k < warmup; k++) fn();
  const samples: number[] = [];
  for (let k = 0; k < runs; k++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) * 1e-9);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], runs };
}

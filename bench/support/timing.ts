// Wall-clock timing with warm-up runs; benchmarks quote medians.
// Between runs the event loop turns once, as in any real program, so outputs
// of the previous run are released (large native buffers are then reused
// instead of being faulted in afresh, see native/include/lodestone/core/buffer.hpp).
export interface Timing {
  median: number; // seconds
  min: number;
  runs: number;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function time(fn: () => unknown, { runs = 5, warmup = 2 } = {}): Promise<Timing> {
  for (let k = 0; k < warmup; k++) {
    fn();
    await tick();
  }
  const samples: number[] = [];
  for (let k = 0; k < runs; k++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) * 1e-9);
    await tick();
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], runs };
}

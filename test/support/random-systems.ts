// Seeded random structures for invariance and finite-difference tests.

/** mulberry32: small, seedable, good enough for test geometry. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TestSystem {
  positions: Float64Array;
  types: Int32Array;
  cell: Float64Array | null;
  pbc?: [boolean, boolean, boolean];
}

/** Atoms placed uniformly with a minimum distance, in a (possibly triclinic) cell or a box without pbc. */
export function randomSystem(options: {
  seed: number;
  atoms: number;
  types: number[];
  cell?: number[] | null;
  box?: number;
  minDistance?: number;
}): TestSystem {
  const random = rng(options.seed);
  const cell = options.cell ? Float64Array.from(options.cell) : null;
  const box = options.box ?? 6;
  const minD = options.minDistance ?? 0.9;
  const positions = new Float64Array(3 * options.atoms);
  let placed = 0;
  for (let attempt = 0; placed < options.atoms; attempt++) {
    if (attempt > 100000) throw new Error('randomSystem: cannot place atoms with this minimum distance');
    const f = [random(), random(), random()];
    const r = cell
      ? [0, 1, 2].map((x) => f[0] * cell[x] + f[1] * cell[3 + x] + f[2] * cell[6 + x])
      : f.map((v) => v * box);
    let ok = true;
    for (let j = 0; j < placed && ok; j++) {
      const d = Math.hypot(r[0] - positions[3 * j], r[1] - positions[3 * j + 1], r[2] - positions[3 * j + 2]);
      if (d < minD) ok = false;
    }
    if (!ok) continue;
    positions.set(r, 3 * placed++);
  }
  const types = Int32Array.from({ length: options.atoms }, (_, i) => options.types[i % options.types.length]);
  return { positions, types, cell, pbc: cell ? [true, true, true] : [false, false, false] };
}

/** A random proper rotation matrix (row-major 3x3). */
export function randomRotation(seed: number): Float64Array {
  const random = rng(seed);
  // Uniform unit quaternion.
  const u1 = random(), u2 = random(), u3 = random();
  const q = [
    Math.sqrt(1 - u1) * Math.sin(2 * Math.PI * u2),
    Math.sqrt(1 - u1) * Math.cos(2 * Math.PI * u2),
    Math.sqrt(u1) * Math.sin(2 * Math.PI * u3),
    Math.sqrt(u1) * Math.cos(2 * Math.PI * u3),
  ];
  const [x, y, z, w] = q;
  return Float64Array.from([
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ]);
}

/** Applies v -> R v to every row of a [n][3] array. */
export function rotate(rows: ArrayLike<number>, R: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length / 3; i++) {
    for (let a = 0; a < 3; a++) {
      out[3 * i + a] = R[3 * a] * rows[3 * i] + R[3 * a + 1] * rows[3 * i + 1] + R[3 * a + 2] * rows[3 * i + 2];
    }
  }
  return out;
}

/** Triclinic test cells (rows = lattice vectors). */
export const TRICLINIC_CELL = [6.2, 0, 0, 1.3, 5.9, 0, -0.8, 0.9, 6.4];

/** Random charges in (-1, 1) shifted to sum to `total` (neutral by default). */
export function randomCharges(n: number, seed: number, total = 0): Float64Array {
  const random = rng(seed);
  const q = Float64Array.from({ length: n }, () => 2 * random() - 1);
  const shift = (q.reduce((a, b) => a + b, 0) - total) / n;
  return q.map((v) => v - shift);
}

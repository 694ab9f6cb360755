// Covalently bonded fragments of a system in vacuum, and integer charges for
// them. Why: separated molecules carry whole elementary charges, but charges
// predicted atom by atom from local environments add up to fractions (and a
// fraction that changes with the molecule's shape puts a force on it in the
// field of every distant ion). Each fragment's predicted total is rounded to
// the nearest integer (the integers adding up to the system's charge when it
// is known) and its atoms are shifted alike to carry it.

/** Covalent radii (A) by atomic number, H..Xe (Cordero et al., Dalton Trans. 2008; C sp3, Mn/Fe low spin). */
const COVALENT_RADII = [
  NaN, 0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58, 1.66, 1.41, 1.21, 1.11, 1.07, 1.05, 1.02, 1.06, 2.03, 1.76,
  1.7, 1.6, 1.53, 1.39, 1.39, 1.32, 1.26, 1.24, 1.32, 1.22, 1.22, 1.2, 1.19, 1.2, 1.2, 1.16, 2.2, 1.95, 1.9, 1.75, 1.64,
  1.54, 1.47, 1.46, 1.42, 1.39, 1.45, 1.44, 1.42, 1.39, 1.39, 1.38, 1.39, 1.4,
];

/** Two atoms are bonded closer than this factor times the sum of their covalent radii (stretched bonds included, hydrogen bonds not). */
export const BOND_FACTOR = 1.25;

/** Bonded pairs (i < j): closer than BOND_FACTOR times the sum of their covalent radii. */
export function bondedPairs(positions: ArrayLike<number>, types: ArrayLike<number>): [number, number][] {
  const N = types.length;
  const radii = Array.from(types, (z, i) => {
    const r = COVALENT_RADII[z];
    if (!(r > 0)) throw new Error(`system.types[${i}]: no covalent radius for atomic number ${z} (known: 1..${COVALENT_RADII.length - 1}) to find bonded fragments`);
    return r;
  });
  const pairs: [number, number][] = [];
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const limit = BOND_FACTOR * (radii[i] + radii[j]);
      const dx = positions[3 * j] - positions[3 * i];
      const dy = positions[3 * j + 1] - positions[3 * i + 1];
      const dz = positions[3 * j + 2] - positions[3 * i + 2];
      if (dx * dx + dy * dy + dz * dz < limit * limit) pairs.push([i, j]);
    }
  }
  return pairs;
}

/** Fragment index of every atom: connected components of the covalent bond graph, numbered by their first atom. */
export function bondedFragments(positions: ArrayLike<number>, types: ArrayLike<number>): Int32Array {
  const N = types.length;
  const parent = Int32Array.from({ length: N }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (const [i, j] of bondedPairs(positions, types)) {
    const a = root(i), b = root(j);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const index = new Map<number, number>();
  return Int32Array.from({ length: N }, (_, i) => {
    const r = root(i);
    if (!index.has(r)) index.set(r, index.size);
    return index.get(r)!;
  });
}

/**
 * Integer charge of every fragment from the sums of its atoms' predicted
 * charges: the nearest integers, moved (each by one, the fragments closest
 * to rounding the other way first) until they add up to `total` when it is
 * a given integer.
 */
export function integerCharges(sums: readonly number[], total: number | undefined): number[] {
  const charges = sums.map((q) => Math.round(q));
  if (total === undefined || !Number.isInteger(total) || sums.length === 0) return charges;
  let missing = total - charges.reduce((a, b) => a + b, 0);
  while (missing !== 0) {
    const step = Math.sign(missing);
    // The fragment whose sum lies closest to the next integer in that direction.
    let best = 0;
    for (let f = 1; f < sums.length; f++) {
      if (step * (sums[f] - charges[f]) > step * (sums[best] - charges[best])) best = f;
    }
    charges[best] += step;
    missing -= step;
  }
  return charges;
}

// Position of each atom's species in a model's species list: the row of its
// weights. Unknown atomic numbers give -1 (callers check species first).
export function speciesIndices(species: readonly number[], types: ArrayLike<number>): Int32Array {
  const index = new Map(species.map((z, k) => [z, k]));
  return Int32Array.from(types, (z) => index.get(z) ?? -1);
}

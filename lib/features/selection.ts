// Checks of the options objects of the features built from two expansions.

/** Throws on keys outside `allowed` (a misspelt option would else be ignored silently). */
export function checkOptionKeys(options: object, allowed: readonly string[]): void {
  if (typeof options !== 'object' || options === null) throw new Error('options: expected an object');
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new Error(`options.${key}: unknown option; expected ${allowed.join(' or ')}`);
  }
}

/**
 * options.selectedProperties as the flat Int32Array the addon reads, each
 * entry `width` integers named by `names` in messages; null when absent.
 */
export function selectionArray(list: unknown, width: number, names: string): Int32Array | null {
  if (list === undefined) return null;
  if (!Array.isArray(list)) throw new Error(`options.selectedProperties: expected an array of [${names}]`);
  const selection = new Int32Array(width * list.length);
  list.forEach((entry: unknown, k) => {
    if (!Array.isArray(entry) || entry.length !== width || !entry.every((v) => Number.isInteger(v))) {
      throw new Error(`options.selectedProperties[${k}]: expected ${width} integers [${names}]`);
    }
    selection.set(entry as number[], width * k);
  });
  return selection;
}

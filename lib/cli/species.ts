// Species lists on the command line: "Na,Cl", "11,17", "Nax32,Clx32".
import { atomicNumber } from '../io/elements.js';

/** "Na,Cl,Cl", "11,17", "Nax32,Clx32" -> atomic numbers, in order, counts expanded. */
export function parseTypes(list: string, option = '--types'): number[] {
  const out: number[] = [];
  for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+|\d+)(?:[x*](\d+))?$/.exec(item);
    if (!m) throw new Error(`${option}: cannot read ${JSON.stringify(item)} (expected SYMBOL, NUMBER or SYMBOLxCOUNT)`);
    const z = /^\d+$/.test(m[1]) ? Number(m[1]) : atomicNumber(m[1]);
    if (z === undefined || z <= 0) throw new Error(`${option}: unknown element ${JSON.stringify(m[1])}`);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    for (let k = 0; k < count; k++) out.push(z);
  }
  if (out.length === 0) throw new Error(`${option}: empty list`);
  return out;
}

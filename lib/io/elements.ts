// Chemical symbols by atomic number (index 0 unused).
export const SYMBOLS = [
  'X', 'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al', 'Si', 'P', 'S', 'Cl', 'Ar', 'K', 'Ca',
  'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y', 'Zr',
  'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I', 'Xe', 'Cs', 'Ba', 'La', 'Ce', 'Pr', 'Nd',
  'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir', 'Pt', 'Au', 'Hg',
  'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U', 'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', 'Es', 'Fm',
  'Md', 'No', 'Lr', 'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', 'Nh', 'Fl', 'Mc', 'Lv', 'Ts', 'Og',
] as const;

const NUMBERS = new Map<string, number>(SYMBOLS.map((s, z) => [s.toLowerCase(), z]));

/** Atomic number of a symbol (case-insensitive) or of a numeric string; undefined when unknown. */
export function atomicNumber(symbol: string): number | undefined {
  if (/^\d+$/.test(symbol)) {
    const z = Number(symbol);
    return z >= 1 && z < SYMBOLS.length ? z : undefined;
  }
  const z = NUMBERS.get(symbol.toLowerCase());
  return z !== undefined && z > 0 ? z : undefined;
}

export function symbolOf(z: number): string {
  const s = SYMBOLS[z];
  if (s === undefined || z < 1) throw new Error(`no chemical symbol for atomic number ${z}`);
  return s;
}

// Extended XYZ reading, compatible with files written by ASE: a count line,
// a comment line of key=value pairs (Lattice, Properties, pbc, energy, ...),
// then one line per atom with the columns Properties declares.
import { atomicNumber } from './elements.js';

/** One frame. Positions in A; `cell` rows are lattice vectors (null without Lattice). */
export interface Frame {
  positions: Float64Array;
  types: Int32Array;
  symbols: string[];
  cell: Float64Array | null;
  pbc: [boolean, boolean, boolean];
  /** Comment-line values other than Lattice, Properties and pbc. */
  info: Record<string, unknown>;
  /** Per-atom columns other than species and pos; multi-column arrays are row-major. */
  arrays: Record<string, Float64Array | Int32Array | string[] | boolean[]>;
}

interface Column {
  name: string;
  type: 'S' | 'R' | 'I' | 'L';
  count: number;
}

export class ExtxyzError extends Error {}

function fail(source: string, line: number, message: string): never {
  throw new ExtxyzError(`${source}:${line}: ${message}`);
}

/** Splits a comment line into key=value pairs; quoted and {braced} values may hold spaces. */
export function tokenizeComment(text: string, source: string, line: number): Array<[string, string | true]> {
  const pairs: Array<[string, string | true]> = [];
  let k = 0;
  const n = text.length;
  const readToken = (): string => {
    if (text[k] === '"' || text[k] === "'") {
      const quote = text[k++];
      let out = '';
      while (k < n && text[k] !== quote) {
        if (text[k] === '\\' && k + 1 < n) k++;
        out += text[k++];
      }
      if (k >= n) fail(source, line, `unterminated ${quote} quote in the comment line`);
      k++;
      return out;
    }
    if (text[k] === '{' || text[k] === '[') {
      const close = text[k] === '{' ? '}' : ']';
      const start = ++k;
      while (k < n && text[k] !== close) k++;
      if (k >= n) fail(source, line, `unterminated ${text[start - 1]} in the comment line`);
      return text.slice(start, k++).replace(/,/g, ' ');
    }
    const start = k;
    while (k < n && !/\s/.test(text[k]) && text[k] !== '=') k++;
    return text.slice(start, k);
  };
  while (k < n) {
    while (k < n && /\s/.test(text[k])) k++;
    if (k >= n) break;
    const key = readToken();
    while (k < n && text[k] === ' ') k++;
    if (text[k] === '=') {
      k++;
      while (k < n && text[k] === ' ') k++;
      pairs.push([key, readToken()]);
    } else {
      pairs.push([key, true]);
    }
  }
  return pairs;
}

const BOOLEAN = new Map([['t', true], ['true', true], ['f', false], ['false', false]]);

function parseValue(raw: string | true): unknown {
  if (raw === true) return true;
  const b = BOOLEAN.get(raw.toLowerCase());
  if (b !== undefined) return b;
  const parts = raw.trim().split(/\s+/);
  if (parts.length > 1) {
    const numbers = parts.map(Number);
    if (numbers.every(Number.isFinite)) return numbers;
    const bools = parts.map((p) => BOOLEAN.get(p.toLowerCase()));
    if (bools.every((v) => v !== undefined)) return bools;
    return raw;
  }
  const number = Number(raw);
  return raw.trim() !== '' && Number.isFinite(number) ? number : raw;
}

function parseProperties(raw: string, source: string, line: number): Column[] {
  const fields = raw.split(':');
  if (fields.length % 3 !== 0) fail(source, line, `Properties: expected name:type:count triples, got "${raw}"`);
  const columns: Column[] = [];
  for (let k = 0; k < fields.length; k += 3) {
    const type = fields[k + 1].toUpperCase();
    const count = Number(fields[k + 2]);
    if (!['S', 'R', 'I', 'L'].includes(type)) fail(source, line, `Properties: unknown type "${fields[k + 1]}" of ${fields[k]} (expected S, R, I or L)`);
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) fail(source, line, `Properties: bad column count "${fields[k + 2]}" of ${fields[k]}`);
    columns.push({ name: fields[k], type: type as Column['type'], count });
  }
  return columns;
}

/**
 * Parses one frame from `lines[start..]`; returns it and the index of the
 * next line. `firstLine` is the file line number of lines[0] minus one.
 */
export function parseFrame(
  lines: readonly string[],
  start: number,
  source: string,
  firstLine = 0,
): { frame: Frame; next: number } {
  const countLine = lines[start].trim();
  const lineNo = firstLine + start + 1;
  if (!/^\d+$/.test(countLine)) fail(source, lineNo, `expected the number of atoms, got "${countLine.slice(0, 40)}"`);
  const atoms = Number(countLine);
  if (start + 1 >= lines.length) fail(source, lineNo + 1, 'truncated frame: missing the comment line');
  // Checked before any allocation sized by the (untrusted) count.
  if (start + 2 + atoms > lines.length) {
    fail(source, lineNo, `truncated frame: ${atoms} atoms announced, only ${Math.max(0, lines.length - start - 2)} lines follow`);
  }
  const comment = lines[start + 1];
  let columns: Column[] = [
    { name: 'species', type: 'S', count: 1 },
    { name: 'pos', type: 'R', count: 3 },
  ];
  let cell: Float64Array | null = null;
  let pbc: [boolean, boolean, boolean] | null = null;
  const info: Record<string, unknown> = {};
  for (const [key, raw] of tokenizeComment(comment, source, lineNo + 1)) {
    const lower = key.toLowerCase();
    if (lower === 'lattice') {
      const values = raw === true ? [] : raw.trim().split(/\s+/).map(Number);
      if (values.length !== 9 || !values.every(Number.isFinite)) fail(source, lineNo + 1, `Lattice: expected 9 numbers, got "${raw}"`);
      cell = Float64Array.from(values);
    } else if (lower === 'properties') {
      if (raw === true) fail(source, lineNo + 1, 'Properties: missing value');
      columns = parseProperties(raw, source, lineNo + 1);
    } else if (lower === 'pbc') {
      const flags = raw === true ? [] : raw.trim().split(/\s+/).map((v) => BOOLEAN.get(v.toLowerCase()));
      if (flags.length !== 3 || flags.some((v) => v === undefined)) fail(source, lineNo + 1, `pbc: expected 3 of T/F, got "${raw}"`);
      pbc = flags as [boolean, boolean, boolean];
    } else {
      info[key] = parseValue(raw);
    }
  }
  const species = columns.find((c) => c.name === 'species');
  const pos = columns.find((c) => c.name === 'pos');
  if (!pos || pos.type !== 'R' || pos.count !== 3) fail(source, lineNo + 1, 'Properties: expected a pos:R:3 column');
  const width = columns.reduce((n, c) => n + c.count, 0);
  const describe = columns.map((c) => `${c.name}:${c.type}:${c.count}`).join(' ');

  const positions = new Float64Array(3 * atoms);
  const types = new Int32Array(atoms);
  const symbols: string[] = [];
  const arrays: Frame['arrays'] = {};
  for (const c of columns) {
    if (c.name === 'species' || c.name === 'pos') continue;
    arrays[c.name] =
      c.type === 'R' ? new Float64Array(atoms * c.count) : c.type === 'I' ? new Int32Array(atoms * c.count) : [];
  }
  for (let i = 0; i < atoms; i++) {
    const index = start + 2 + i;
    if (index >= lines.length || lines[index].trim() === '') {
      fail(source, firstLine + index + 1, `truncated frame: expected ${atoms} atom lines, found ${i}`);
    }
    const fields = lines[index].trim().split(/\s+/);
    if (fields.length !== width) fail(source, firstLine + index + 1, `expected ${width} columns (${describe}), found ${fields.length}`);
    let f = 0;
    for (const c of columns) {
      for (let k = 0; k < c.count; k++, f++) {
        const text = fields[f];
        if (c === species) {
          const z = atomicNumber(text);
          if (z === undefined) fail(source, firstLine + index + 1, `unknown chemical symbol "${text}"`);
          types[i] = z;
          symbols.push(text);
          continue;
        }
        if (c.type === 'R' || c.type === 'I') {
          const v = Number(text);
          if (!Number.isFinite(v) || (c.type === 'I' && !Number.isInteger(v))) {
            fail(source, firstLine + index + 1, `${c.name}: expected ${c.type === 'R' ? 'a finite number' : 'an integer'}, got "${text}"`);
          }
          if (c === pos) positions[3 * i + k] = v;
          else (arrays[c.name] as Float64Array | Int32Array)[i * c.count + k] = v;
        } else if (c.type === 'L') {
          const v = BOOLEAN.get(text.toLowerCase());
          if (v === undefined) fail(source, firstLine + index + 1, `${c.name}: expected T or F, got "${text}"`);
          (arrays[c.name] as boolean[]).push(v);
        } else {
          (arrays[c.name] as string[]).push(text);
        }
      }
    }
  }
  if (!species) fail(source, lineNo + 1, 'Properties: expected a species:S:1 column');
  return {
    frame: { positions, types, symbols, cell, pbc: pbc ?? (cell ? [true, true, true] : [false, false, false]), info, arrays },
    next: start + 2 + atoms,
  };
}

/** Every frame of an extended-XYZ text. */
export function parseExtxyz(text: string, source = 'extxyz'): Frame[] {
  const lines = text.split(/\r?\n/);
  const frames: Frame[] = [];
  let k = 0;
  while (k < lines.length) {
    if (lines[k].trim() === '') {
      k++;
      continue;
    }
    const { frame, next } = parseFrame(lines, k, source);
    frames.push(frame);
    k = next;
  }
  return frames;
}

// Extended XYZ writing: full float precision (shortest round-trip form), so
// reading back gives the same numbers bit for bit.
import { symbolOf } from './elements.js';
import type { Frame } from './extxyz-parse.js';

function quote(value: string): string {
  return /[\s"=]/.test(value) || value === '' ? `"${value.replace(/"/g, '\\"')}"` : value;
}

function formatInfo(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return `"${Array.from(value as ArrayLike<unknown>, (v) => (typeof v === 'boolean' ? (v ? 'T' : 'F') : String(v))).join(' ')}"`;
  }
  return quote(String(value));
}

function columnType(values: Frame['arrays'][string]): 'R' | 'I' | 'L' | 'S' {
  if (values instanceof Float64Array) return 'R';
  if (values instanceof Int32Array) return 'I';
  return typeof (values as unknown[])[0] === 'boolean' ? 'L' : 'S';
}

export function writeFrame(frame: Frame): string {
  const N = frame.types.length;
  const columns = Object.entries(frame.arrays).map(([name, values]) => ({
    name,
    values,
    type: columnType(values),
    count: N > 0 ? values.length / N : 1,
  }));
  for (const c of columns) {
    if (!Number.isInteger(c.count) || c.count < 1) {
      throw new Error(`extxyz: array "${c.name}" has ${c.values.length} values, not a multiple of ${N} atoms`);
    }
  }
  const header: string[] = [];
  if (frame.cell) header.push(`Lattice="${Array.from(frame.cell, String).join(' ')}"`);
  header.push(`Properties=${['species:S:1', 'pos:R:3', ...columns.map((c) => `${c.name}:${c.type}:${c.count}`)].join(':')}`);
  for (const [key, value] of Object.entries(frame.info)) header.push(`${quote(key)}=${formatInfo(value)}`);
  header.push(`pbc="${frame.pbc.map((b) => (b ? 'T' : 'F')).join(' ')}"`);
  const lines = [String(N), header.join(' ')];
  for (let i = 0; i < N; i++) {
    const fields = [frame.symbols[i] ?? symbolOf(frame.types[i])];
    for (let x = 0; x < 3; x++) fields.push(String(frame.positions[3 * i + x]));
    for (const c of columns) {
      for (let k = 0; k < c.count; k++) {
        const v = (c.values as ArrayLike<unknown>)[i * c.count + k];
        fields.push(typeof v === 'boolean' ? (v ? 'T' : 'F') : String(v));
      }
    }
    lines.push(fields.join(' '));
  }
  return `${lines.join('\n')}\n`;
}

export function writeExtxyz(frames: Frame | Frame[]): string {
  return (Array.isArray(frames) ? frames : [frames]).map(writeFrame).join('');
}

// Reading and writing extended XYZ as ASE does (ase.io.read / ase.io.write):
// whole files, one frame at a time, and text.
import { appendFileSync, writeFileSync } from 'node:fs';
import { iterateExtxyz as iterateRaw, parseExtxyz as parseRaw, readExtxyz as readRaw, writeExtxyz as formatRaw } from '../io/extxyz.js';
import { fromRawFrame, toRawFrame, type ExtxyzFrame, type ExtxyzFrameInput } from './frame.js';

/** Every frame of an extended-XYZ file; errors name the file and line. */
export function readExtxyz(path: string): ExtxyzFrame[] {
  if (typeof path !== 'string' || path === '') throw new Error('readExtxyz: path: expected a file name');
  return readRaw(path).map((raw, k) => fromRawFrame(raw, `${path}: frame ${k}`));
}

/** Frames one by one, without reading the whole file into memory: `for await (const frame of iterateExtxyz(path))`. */
export async function* iterateExtxyz(path: string): AsyncGenerator<ExtxyzFrame> {
  if (typeof path !== 'string' || path === '') throw new Error('iterateExtxyz: path: expected a file name');
  let k = 0;
  for await (const raw of iterateRaw(path)) yield fromRawFrame(raw, `${path}: frame ${k++}`);
}

/** Every frame of an extended-XYZ text; `source` names it in errors. */
export function parseExtxyz(text: string, source = 'extxyz'): ExtxyzFrame[] {
  if (typeof text !== 'string') throw new Error('parseExtxyz: text: expected a string');
  return parseRaw(text, source).map((raw, k) => fromRawFrame(raw, `${source}: frame ${k}`));
}

/** Extended-XYZ text of one or several frames (full float precision: reading it back gives the same numbers). */
export function formatExtxyz(frames: ExtxyzFrameInput | readonly ExtxyzFrameInput[]): string {
  const list = Array.isArray(frames) ? frames : [frames as ExtxyzFrameInput];
  return formatRaw(list.map((f, k) => toRawFrame(f, list.length === 1 && !Array.isArray(frames) ? 'frame' : `frames[${k}]`)));
}

export interface WriteExtxyzOptions {
  /** Add to the end of the file instead of replacing it. Default false. */
  append?: boolean;
}

/** Writes frames (any System, plus energy, forces, stress, velocities, ...) so that ase.io.read reads them back. */
export function writeExtxyz(path: string, frames: ExtxyzFrameInput | readonly ExtxyzFrameInput[], options: WriteExtxyzOptions = {}): void {
  if (typeof path !== 'string' || path === '') throw new Error('writeExtxyz: path: expected a file name');
  const text = formatExtxyz(frames); // every frame is checked before the file is touched
  try {
    (options.append ? appendFileSync : writeFileSync)(path, text);
  } catch (e) {
    throw new Error(`writeExtxyz: cannot write ${path} (${(e as Error).message})`);
  }
}

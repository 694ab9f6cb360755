// Extended XYZ files: whole-file and streaming reading, writing.
import { createReadStream, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseExtxyz, parseFrame, type Frame } from './extxyz-parse.js';
import { writeExtxyz } from './extxyz-write.js';

export { parseExtxyz, tokenizeComment, ExtxyzError, type Frame } from './extxyz-parse.js';
export { writeExtxyz, writeFrame } from './extxyz-write.js';

export function readExtxyz(path: string): Frame[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  return parseExtxyz(text, path);
}

/** Frames one by one, without reading the whole file into memory. */
export async function* iterateExtxyz(path: string): AsyncGenerator<Frame> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let buffer: string[] = [];
  let offset = 0; // line number of buffer[0], 0-based
  let expected = -1;
  for await (const line of lines) {
    if (buffer.length === 0 && line.trim() === '') {
      offset++;
      continue;
    }
    buffer.push(line);
    if (buffer.length === 1) {
      const count = line.trim();
      expected = /^\d+$/.test(count) ? Number(count) + 2 : 1;
    }
    if (buffer.length === expected) {
      yield parseWithOffset(buffer, offset, path);
      offset += buffer.length;
      buffer = [];
    }
  }
  if (buffer.length) yield parseWithOffset(buffer, offset, path); // reports the truncation
}

function parseWithOffset(lines: string[], offset: number, source: string): Frame {
  return parseFrame(lines, 0, source, offset).frame;
}

export function writeExtxyzFile(path: string, frames: Frame | Frame[], { append = false } = {}): void {
  (append ? appendFileSync : writeFileSync)(path, writeExtxyz(frames));
}

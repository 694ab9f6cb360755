// Reference numbers from test/fixtures/reference (see its README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REFERENCE_DIR = fileURLToPath(new URL('../fixtures/reference/', import.meta.url));
export const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

export interface ReferenceSystem {
  positions: number[][];
  types: number[];
  cell: number[];
}

export interface ReferenceFile {
  input: { hyperparameters: Record<string, unknown>; systems: ReferenceSystem[] } & Record<string, unknown>;
  layout: string;
  shape: number[];
  values: number[];
  source: string;
}

export function loadReference(relative: string): ReferenceFile {
  return JSON.parse(readFileSync(`${REFERENCE_DIR}${relative}`, 'utf8')) as ReferenceFile;
}

// Output paths of the CLI, checked before any long computation starts.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Fails at once, not after a long fit or evaluation, when `path` could not be written. */
export function checkWritable(path: string, option: string): void {
  const dir = dirname(resolve(path));
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`${option}: cannot write ${path}: directory ${dir} does not exist or is not writable`);
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // does not exist yet: fine
  }
  if (isDirectory) throw new Error(`${option}: ${path} is a directory, expected a file name`);
}

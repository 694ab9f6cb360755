// Loads the addon (a prebuild when present, else build/Release) and gives it
// the typed surface of ./types.ts.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { NativeBinding } from './types.js';

export type * from './types.js';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('lodestone: cannot find the package root (package.json)');
    dir = parent;
  }
  return dir;
}

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (root: string) => unknown;

/**
 * The loaded addon. LODESTONE_ADDON=path/to/lodestone.node overrides the
 * lookup (sanitizer builds, side-by-side development builds).
 */
export const native = (process.env.LODESTONE_ADDON ? require(process.env.LODESTONE_ADDON) : load(packageRoot())) as NativeBinding;

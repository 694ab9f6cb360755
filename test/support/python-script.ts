// Python one-liners against a script of scripts/ (whose file names have
// dashes, so it is loaded with importlib): the tests of the data files that
// those scripts write recompute a few entries with the script's own code.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Runs `code` in Debian's python3 with scripts/`script` loaded as `m`, numpy
 * as `np` and `json`, `sys` imported, and `args` in sys.argv[1:]; returns
 * what the code prints, parsed as JSON. A failing python3 (missing, or a
 * missing tool the script runs) throws: the test fails, never skips.
 */
export function withScript(script: string, code: string, ...args: string[]): unknown {
  const prelude = `import importlib.util, json, sys
import numpy as np
spec = importlib.util.spec_from_file_location("script", ${JSON.stringify(join(ROOT, 'scripts', script))})
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
`;
  const run = spawnSync('/usr/bin/python3', ['-c', prelude + code, ...args], { encoding: 'utf8', cwd: ROOT });
  if (run.status !== 0) throw new Error(`python3 with scripts/${script} failed (${run.status}): ${run.stderr || run.error}`);
  return JSON.parse(run.stdout);
}

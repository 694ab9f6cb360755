// A process that loads the addon only inside worker threads (computing with
// 2 OpenMP threads) must survive the workers' exit: without -Wl,-z,nodelete
// Node unloads the .node with the last worker while libgomp's idle threads
// still run its code. Runs in a child `node` so that a
// crash shows up as an exit code instead of killing the test runner.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SphericalExpansion, type SphericalExpansionHypers } from '../../lib/index.js';
import { parseSphericalExpansionHypers } from '../../lib/core/hypers.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem } from '../support/random-systems.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/worker/load-in-workers.mjs', import.meta.url));

const hypers: SphericalExpansionHypers = {
  cutoff: { radius: 4, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.4 },
  basis: { type: 'TensorProduct', max_angular: 4, radial: { type: 'Gto', max_radial: 3 } },
};
const cell = [8, 0, 0, 1.2, 7.6, 0, -0.7, 0.9, 7.9];
const system = randomSystem({ seed: 61, atoms: 40, types: [1, 8], cell, minDistance: 1.1 });

interface WorkerResult {
  id: number;
  threads: number;
  count: number;
  sum: number;
  abs: number;
  strainSum: number;
  gradientAbs: number;
}

function runFixture(input: unknown) {
  return spawnSync(process.execPath, [FIXTURE, JSON.stringify(input)], {
    encoding: 'utf8',
    timeout: 50_000,
    // active waiting keeps libgomp's idle threads running after the workers
    // exit, which makes the crash (when the bug is present) much more likely
    env: { ...process.env, OMP_NUM_THREADS: '2', OMP_WAIT_POLICY: 'active' },
  });
}

/** The DT_FLAGS_1 entry of an ELF64 little-endian shared object's dynamic section (null when absent). */
function elfFlags1(file: string): bigint | null {
  const data = readFileSync(file);
  if (data.readUInt32BE(0) !== 0x7f454c46 || data[4] !== 2 || data[5] !== 1) throw new Error(`${file}: not an ELF64 little-endian file`);
  const shoff = Number(data.readBigUInt64LE(0x28));
  const shentsize = data.readUInt16LE(0x3a), shnum = data.readUInt16LE(0x3c);
  for (let i = 0; i < shnum; i++) {
    const header = shoff + i * shentsize;
    if (data.readUInt32LE(header + 4) !== 6) continue; // SHT_DYNAMIC
    const offset = Number(data.readBigUInt64LE(header + 0x18)), size = Number(data.readBigUInt64LE(header + 0x20));
    for (let k = 0; k < size / 16; k++) {
      if (data.readBigInt64LE(offset + 16 * k) === 0x6ffffffbn) return data.readBigUInt64LE(offset + 16 * k + 8);
    }
  }
  return null;
}

describe('addon loaded only in worker threads', () => {
  it('workers compute with 2 OpenMP threads and exit; the process exits with code 0', () => {
    const input = {
      hypers: parseSphericalExpansionHypers(hypers),
      system: { positions: Array.from(system.positions), types: Array.from(system.types), cell },
      neighborTypes: [1, 8],
    };
    const expected = new SphericalExpansion(hypers).compute(system, { gradients: ['positions', 'strain'] });
    const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
    const abs = (a: Float64Array) => a.reduce((s, v) => s + Math.abs(v), 0);

    // The crash is timing-dependent (about every other run without the fix): run twice.
    for (let attempt = 0; attempt < 2; attempt++) {
      const child = runFixture(input);
      expect(child.error).toBeUndefined();
      expect(child.signal, `stderr: ${child.stderr}`).toBeNull();
      expect(child.status, `stderr: ${child.stderr}`).toBe(0);

      const lines = child.stdout.trim().split('\n');
      expect(lines[lines.length - 1]).toBe('done');
      const results = lines.slice(0, -1).map((l) => JSON.parse(l) as WorkerResult);
      expect(results.map((r) => r.id).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

      // The same numbers as the main-thread API in this process.
      for (const r of results) {
        expect(r.threads).toBe(2);
        expect(r.count).toBe(expected.values.length);
        expect(relativeError([r.sum, r.abs], [sum(expected.values), abs(expected.values)])).toBeLessThan(1e-12);
        expect(relativeError([r.strainSum], [sum(expected.gradients.strain!.values)])).toBeLessThan(1e-10);
        expect(relativeError([r.gradientAbs], [abs(expected.gradients.positions!.values)])).toBeLessThan(1e-12);
      }
    }
  });

  // Deterministic companion of the test above: the addon is linked with
  // -Wl,-z,nodelete (CMakeLists.txt), which sets DF_1_NODELETE (0x8) in DT_FLAGS_1.
  // (If the fix ever changes to another mechanism, update this test.)
  it.runIf(process.platform === 'linux')('the addon node-gyp-build loads is linked with -z nodelete', () => {
    const require = createRequire(import.meta.url);
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const file = process.env.LODESTONE_ADDON ?? (require('node-gyp-build') as { resolve(dir: string): string }).resolve(root);
    const flags = elfFlags1(file);
    expect(flags, `${file} has no DT_FLAGS_1`).not.toBeNull();
    expect(flags! & 0x8n).toBe(0x8n);
  });
});

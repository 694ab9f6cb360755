// Reliability corpus for the CLI: every command with missing or garbage
// arguments and unreadable or corrupt files exits non-zero with a message
// naming the problem on its first line and no stack trace; a valid command
// run afterwards prints exactly what it printed before.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fitLinearModel, getNumThreads, presetFeatures, saveModel, setNumThreads } from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';
import { CaseCounter } from '../support/reliability.js';
import { runCli } from '../support/cli.js';

const counter = new CaseCounter('CLI');
const DATA = fileURLToPath(new URL('../../data/nacl-melt-64.xyz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lodestone-reliability-cli-'));
const path = (name: string) => join(dir, name);
const threads = getNumThreads();

const cli = runCli;

let goodEval = '';
const evalArgs = () => ['eval', path('model.lsm'), path('two.xyz'), '--quiet'];

beforeAll(async () => {
  const text = readFileSync(DATA, 'utf8').split('\n');
  writeFileSync(path('two.xyz'), text.slice(0, 2 * 66).join('\n') + '\n');
  const frames = readExtxyz(DATA).filter((_, k) => k % 60 === 0);
  const data = frames.map((f) => ({ system: { positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc }, energy: f.info.energy as number, forces: f.arrays.forces as Float64Array }));
  saveModel(path('model.lsm'), fitLinearModel(presetFeatures('local', [11, 17], { cutoff: 3.5, maxRadial: 1, maxAngular: 1 }), data, { regularizations: [1e-6] }).model);
  const model = readFileSync(path('model.lsm'));
  writeFileSync(path('truncated.lsm'), model.subarray(0, model.length - 100));
  const flipped = Buffer.from(model);
  flipped[flipped.length - 3] ^= 1;
  writeFileSync(path('flipped.lsm'), flipped);
  writeFileSync(path('empty.xyz'), '');
  writeFileSync(path('binary.xyz'), Buffer.from(Array.from({ length: 4096 }, (_, k) => (k * 7919 + 13) % 256)));
  writeFileSync(path('garbage.xyz'), '64\nLattice="1 2 3" Properties=species:S:1:pos:R:3\nNa 0 0 zero\n');
  writeFileSync(path('oxygen.xyz'), '2\nProperties=species:S:1:pos:R:3 energy=1.0\nO 0 0 0\nNa 2 0 0\n');
  writeFileSync(path('overlap.xyz'), '2\nProperties=species:S:1:pos:R:3 energy=1.0\nCl 0 0 0\nNa 0 0 0\n');
  writeFileSync(path('noenergy.xyz'), text.slice(0, 66).join('\n').replace(/energy=\S+/, '') + '\n');
  writeFileSync(path('bad.json'), '{ "species": [11, 17], "blocks": [ { "kind": "soap", "hypers": { "cutoff": "far" } } ] }');
  writeFileSync(path('notjson.json'), '{ species: ');
  writeFileSync(path('checkpoint.json'), '{"format": "lodestone-md-checkpoint", "version": 1, "state": 12}');
  writeFileSync(path('checkpoint-garbage.json'), '\u0000\u0001garbage');
  mkdirSync(path('a-directory'), { recursive: true });
  const good = await cli(evalArgs());
  expect(good.code, good.err).toBe(0);
  goodEval = good.out;
});

afterAll(() => setNumThreads(threads));

async function stillWorks(): Promise<void> {
  setNumThreads(threads);
  const again = await cli(evalArgs());
  expect(again.code).toBe(0);
  expect(again.out).toBe(goodEval);
}

const m = () => path('model.lsm');
const xyz = () => path('two.xyz');
// [argv, message of the first error line]
const cases: [() => string[], RegExp][] = [
  // dispatcher
  [() => ['frobnicate'], /^lodestone: unknown command 'frobnicate'/],
  [() => ['--version'], /^lodestone: unknown command '--version'/],
  // fit
  [() => ['fit'], /^lodestone fit: expected one data file$/],
  [() => ['fit', path('missing.xyz')], /^lodestone fit: .*missing\.xyz.*(ENOENT|no such file|cannot read)/],
  [() => ['fit', path('a-directory')], /^lodestone fit: .*a-directory.*(EISDIR|directory|cannot read)/],
  [() => ['fit', path('empty.xyz')], /^lodestone fit: .*empty\.xyz: no frames/],
  [() => ['fit', path('binary.xyz')], /^lodestone fit: .*binary\.xyz:\d+/],
  [() => ['fit', path('garbage.xyz')], /^lodestone fit: .*garbage\.xyz:\d+/],
  [() => ['fit', path('noenergy.xyz')], /^lodestone fit: .*noenergy\.xyz: frame 0 has no 'energy' energy \(use --energy-key\)$/],
  [() => ['fit', xyz(), '--features', 'nonlocal'], /^lodestone fit: features preset: expected one of local, multiscale, got "nonlocal"/],
  [() => ['fit', xyz(), '--cutoff', 'far'], /^lodestone fit: --cutoff: invalid value "far"/],
  [() => ['fit', xyz(), '--cutoff', '-1'], /^lodestone fit: --cutoff: invalid value "-1"/],
  [() => ['fit', xyz(), '--max-radial', '1.5'], /^lodestone fit: --max-radial: invalid value "1\.5"/],
  [() => ['fit', xyz(), '--frames', '1'], /^lodestone fit: --frames: invalid value "1"/],
  [() => ['fit', xyz(), '--model', 'neural'], /^lodestone fit: --model: expected linear or sparse-kernel, got "neural"/],
  [() => ['fit', xyz(), '--zeta', '2'], /^lodestone fit: --zeta: only meaningful with --model sparse-kernel/],
  [() => ['fit', xyz(), '--baseline-charges', 'Na=1'], /^lodestone fit: --baseline-charges: expected Z:Q pairs/],
  [() => ['fit', xyz(), '--folds', '1'], /^lodestone fit: --folds: invalid value "1"/],
  [() => ['fit', xyz(), '--group-key', 'energy,nope'], /^lodestone fit: .*: frame 0 has no 'nope' info value to group by \(--group-key\)/],
  [() => ['fit', xyz(), '--forces-key', 'F'], /^lodestone fit: --forces-key: no frame of .* has a per-atom 'F' column/],
  [() => ['fit', xyz(), '--out', '/missing-dir/x.lsm'], /^lodestone fit: --out: cannot write \/missing-dir\/x.lsm: directory \/missing-dir does not exist or is not writable/],
  [() => ['fit', xyz(), '--exponents', '1,9'], /^lodestone fit: --exponents: expected integers 0..6 separated by commas, got "1,9"/],
  [() => ['fit', xyz(), '--channels', '0'], /^lodestone fit: --channels: invalid value "0"/],
  [() => ['fit', xyz(), '--species-weights', 'some'], /^lodestone fit: --species-weights: expected per-species or shared, got "some"/],
  [() => ['fit', xyz(), '--max-memory', '0.000001'], /^lodestone fit: fit: needs about .* more than the limit of/],
  [() => ['fit', xyz(), '--out'], /^lodestone fit: --out needs a value \(MODEL\)$/],
  [() => ['fit', xyz(), '--bogus'], /^lodestone fit: unknown option --bogus \(see lodestone fit --help\)$/],
  [() => ['fit', path('oxygen.xyz'), path('oxygen.xyz')], /^lodestone fit: expected one data file$/],
  [() => ['fit', path('overlap.xyz'), '--frames', '2'], /^lodestone fit: --frames: invalid value "2"|same position|at least 2/],
  // eval
  [() => ['eval'], /^lodestone eval: expected a model and a frames file$/],
  [() => ['eval', m()], /^lodestone eval: expected a model and a frames file$/],
  [() => ['eval', path('missing.lsm'), xyz()], /^lodestone eval: .*missing\.lsm: cannot read the model file \(ENOENT/],
  [() => ['eval', path('a-directory'), xyz()], /^lodestone eval: .*a-directory: cannot read the model file \(EISDIR/],
  [() => ['eval', xyz(), xyz()], /^lodestone eval: .*two\.xyz: not a lodestone model file \(bad magic bytes\)/],
  [() => ['eval', path('truncated.lsm'), xyz()], /^lodestone eval: .*truncated\.lsm: truncated or padded file/],
  [() => ['eval', path('flipped.lsm'), xyz()], /^lodestone eval: .*flipped\.lsm: corrupt parameters \(checksum mismatch\)/],
  [() => ['eval', m(), path('missing.xyz')], /^lodestone eval: .*missing\.xyz/],
  [() => ['eval', m(), path('binary.xyz')], /^lodestone eval: .*binary\.xyz:\d+/],
  [() => ['eval', m(), path('empty.xyz')], /^lodestone eval: .*empty\.xyz: no frames/],
  [() => ['eval', m(), path('oxygen.xyz')], /^lodestone eval: system\.types\[0\]: atomic number 8 is unknown to this model/],
  [() => ['eval', m(), path('overlap.xyz')], /^lodestone eval: atoms [01] and [01] are at the same position/],
  [() => ['eval', m(), xyz(), '--energy-key'], /^lodestone eval: --energy-key needs a value \(KEY\)$/],
  // features
  [() => ['features'], /^lodestone features: expected one frames file$/],
  [() => ['features', path('missing.xyz')], /^lodestone features: .*missing\.xyz/],
  [() => ['features', xyz(), '--features', path('missing.json')], /^lodestone features: .*missing\.json/],
  [() => ['features', xyz(), '--features', path('notjson.json')], /^lodestone features: .*(JSON|notjson\.json)/],
  [() => ['features', xyz(), '--features', path('bad.json')], /^lodestone features: .*hypers\.cutoff: expected an object/],
  [() => ['features', xyz(), '--features', 'soap'], /^lodestone features: features preset: expected one of local, multiscale, got "soap"/],
  [() => ['features', xyz(), '--cutoff', 'NaN'], /^lodestone features: --cutoff: invalid value "NaN"/],
  [() => ['features', path('overlap.xyz'), '--out', path('feat')], /^lodestone features: atoms [01] and [01] are at the same position/],
  // md
  [() => ['md'], /^lodestone md: expected a model and a start structure/],
  [() => ['md', m()], /^lodestone md: expected a model and a start structure/],
  [() => ['md', path('missing.lsm'), xyz(), '--steps', '1'], /^lodestone md: .*missing\.lsm: cannot read the model file/],
  [() => ['md', path('truncated.lsm'), xyz(), '--steps', '1'], /^lodestone md: .*truncated\.lsm: truncated or padded file/],
  [() => ['md', m(), path('missing.xyz')], /^lodestone md: .*missing\.xyz/],
  [() => ['md', m(), path('binary.xyz')], /^lodestone md: .*binary\.xyz:\d+/],
  [() => ['md', m(), xyz(), '--steps', '-5'], /^lodestone md: --steps: invalid value "-5"/],
  [() => ['md', m(), xyz(), '--steps', 'many'], /^lodestone md: --steps: invalid value "many"/],
  [() => ['md', m(), xyz(), '--dt', '0'], /^lodestone md: --dt: invalid value "0"/],
  [() => ['md', m(), xyz(), '--dt', 'Infinity'], /^lodestone md: --dt: invalid value "Infinity"/],
  [() => ['md', m(), xyz(), '--thermostat', 'langevin', '--temperature', 'hot'], /^lodestone md: --temperature: invalid value "hot"/],
  [() => ['md', m(), xyz(), '--thermostat', 'langevin', '--temperature', '300', '--friction', '-1'], /^lodestone md: --friction: invalid value "-1"/],
  [() => ['md', m(), xyz(), '--frame', '7'], /^lodestone md: --frame 7: .*two\.xyz has 2 frames/],
  [() => ['md', m(), xyz(), '--fixed', '1,x'], /^lodestone md: --fixed: "x" is not an atom index/],
  [() => ['md', m(), xyz(), '--fixed', '64', '--steps', '1'], /^lodestone md: createState: fixed\[0\]: expected an atom index in \[0, 64\), got 64/],
  [() => ['md', m(), xyz(), '--threads', '0'], /^lodestone md: --threads: invalid value "0"/],
  [() => ['md', m(), xyz(), '--seed', '-1'], /^lodestone md: --seed: invalid value "-1"/],
  [() => ['md', m(), path('oxygen.xyz'), '--steps', '1', '--quiet'], /^lodestone md: step 0: force field failed: system\.types\[0\]: atomic number 8 is unknown to this model/],
  [() => ['md', m(), path('overlap.xyz'), '--steps', '1', '--quiet'], /^lodestone md: step 0: force field failed: atoms [01] and [01] are at the same position/],
  [() => ['md', m(), '--restart', path('missing.json')], /^lodestone md: .*missing\.json/],
  [() => ['md', m(), '--restart', path('checkpoint.json')], /^lodestone md: .*checkpoint\.json/],
  [() => ['md', m(), '--restart', path('checkpoint-garbage.json')], /^lodestone md: .*checkpoint-garbage\.json/],
  [() => ['md', m(), '--restart'], /^lodestone md: --restart needs a value \(FILE\)$/],
  [() => ['md', m(), xyz(), '--traj', path('a-directory'), '--steps', '1', '--quiet'], /^lodestone md: .*a-directory/],
  // ipi
  [() => ['ipi'], /^lodestone ipi: --model is required$/],
  [() => ['ipi', 'stray', '--model', m()], /^lodestone ipi: unexpected argument "stray"$/],
  [() => ['ipi', '--model', m(), '--unix', 'x'], /^lodestone ipi: give --structure START\.xyz or --types LIST/],
  [() => ['ipi', '--model', m(), '--types', 'Na,Xx', '--unix', 'x'], /^lodestone ipi: --types: unknown element "Xx"/],
  [() => ['ipi', '--model', m(), '--types', ',,', '--unix', 'x'], /^lodestone ipi: --types: empty list/],
  [() => ['ipi', '--model', m(), '--types', 'Na', '--structure', xyz(), '--unix', 'x'], /^lodestone ipi: --types \(Na1\) disagrees with .*two\.xyz/],
  [() => ['ipi', '--model', m(), '--structure', path('missing.xyz'), '--unix', 'x'], /^lodestone ipi: .*missing\.xyz/],
  [() => ['ipi', '--model', m(), '--structure', path('binary.xyz'), '--unix', 'x'], /^lodestone ipi: .*binary\.xyz:\d+/],
  [() => ['ipi', '--model', m(), '--types', 'Na,Cl'], /^lodestone ipi: give either --unix NAME or --host HOST --port PORT/],
  [() => ['ipi', '--model', m(), '--types', 'Na,Cl', '--port', '99999'], /^lodestone ipi: --port: invalid value "99999"/],
  [() => ['ipi', '--model', m(), '--types', 'Na,Cl', '--unix', 'x', '--wait', '-1'], /^lodestone ipi: --wait: invalid value "-1"/],
  [() => ['ipi', '--model', path('flipped.lsm'), '--types', 'Na,Cl', '--unix', 'x'], /^lodestone ipi: .*flipped\.lsm: corrupt parameters/],
  [() => ['ipi', '--model', m(), '--types', 'Na,Cl', '--unix', `reliability-nobody-listens-${process.pid}`, '--wait', '0', '--quiet'], /^lodestone ipi: .*(ENOENT|connect|no server|listen)/],
];

describe('CLI: bad arguments and unreadable files', () => {
  for (const [argv, message] of cases) {
    it(`lodestone ${argv().map((a) => a.replace(dir, '<tmp>')).join(' ')}`, async () => {
      counter.tried++;
      const r = await cli(argv());
      expect(r.code).not.toBe(0);
      const first = r.err.split('\n')[0];
      expect(first).toMatch(message);
      // no stack traces, no "undefined"/"[object Object]" messages
      expect(r.err).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m);
      expect(first).not.toMatch(/undefined|\[object Object\]|TypeError|Cannot read properties/);
      // one line, except usage errors, which append the command's help after a blank line
      const usage = /expected (one|a model)|--model is required|unexpected argument|unknown command/.test(first);
      if (usage) expect(r.err.split('\n')[1] ?? '').toBe('');
      else expect(r.err.split('\n'), r.err).toHaveLength(1);
      await stillWorks();
    });
  }
});

// Reliability corpus for the models (LinearModel, SparseKernelModel), their
// files and FeatureSet specs: unknown species, NaN positions, overlapping
// atoms, empty systems, truncated and corrupt model files of both kinds,
// wrong hyper types. Every case: an Error naming the problem, then the next
// valid call is bit-identical to one made before.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deserializeModel,
  FeatureSet,
  fitLinearModel,
  fitSparseKernelModel,
  loadModel,
  presetFeatures,
  serializeModel,
  type FeatureSetSpec,
  type Model,
  type System,
  type TrainingFrame,
} from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';
import { CaseCounter, differences, hugeArrayLike, maxRelative } from '../support/reliability.js';
import { DATA_DIR } from '../support/reference.js';

const counter = new CaseCounter('models');
const allFrames = readExtxyz(`${DATA_DIR}/nacl-melt-64.xyz`);
const training: TrainingFrame[] = allFrames
  .filter((_, k) => k % 50 === 0)
  .map((f) => ({ system: { positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc }, energy: f.info.energy as number, forces: f.arrays.forces as Float64Array }));
const spec = presetFeatures('local', [11, 17], { cutoff: 3.5, maxRadial: 1, maxAngular: 1 });
const linear = fitLinearModel(spec, training, { forceWeight: 1, regularizations: [1e-6] }).model;
const sparse = fitSparseKernelModel(spec, training, { forceWeight: 1, regularizations: [1e-6], sparsePoints: 6, zeta: 2 }).model;
const models: [string, Model][] = [['linear', linear], ['sparse-kernel', sparse]];

const frame = allFrames[1];
const melt: System = { positions: frame.positions, types: frame.types, cell: frame.cell, pbc: [true, true, true] };
const references = new Map(models.map(([name, m]) => [name, m.compute(melt, { forces: true, stress: true })]));

function stillWorks(): void {
  for (const [name, m] of models) {
    const r = m.compute(melt, { forces: true, stress: true });
    const ref = references.get(name)!;
    expect(r.energy).toBe(ref.energy);
    expect(differences(r.forces, ref.forces)).toBe(0);
    expect(differences(r.stress, ref.stress)).toBe(0);
  }
}

const positionsWith = (k: number, value: number) => Float64Array.from(frame.positions, (v, i) => (i === k ? value : v));
const atomOnto = (i: number, j: number, shift = [0, 0, 0]) => {
  const p = Float64Array.from(frame.positions);
  for (let x = 0; x < 3; x++) p[3 * i + x] = p[3 * j + x] + shift[x];
  return p;
};

const badSystems: [string, () => System, RegExp][] = [
  ['unknown species', () => ({ ...melt, types: Int32Array.from(frame.types, (t, i) => (i === 6 ? 8 : t)) }), /types\[6\]: atomic number 8 is unknown to this model \(species 11, 17\)/],
  ['NaN position', () => ({ ...melt, positions: positionsWith(13, Number.NaN) }), /positions\[4\]\[1\]: expected a finite number, got NaN/],
  ['-Infinity position', () => ({ ...melt, positions: positionsWith(2, -Infinity) }), /positions\[0\]\[2\]: expected a finite number, got -Infinity/],
  ['atoms on top of each other', () => ({ ...melt, positions: atomOnto(20, 21) }), /atoms (20 and 21|21 and 20) are at the same position/],
  ['an atom on a periodic image of another', () => ({ ...melt, positions: atomOnto(20, 21, [0, 12.6, 0]) }), /atoms (20 and 21|21 and 20) are at the same position \(or at the same periodic image\)/],
  ['singular cell', () => ({ ...melt, cell: [12.6, 0, 0, 0, 12.6, 0, 12.6, 12.6, 0] }), /cell: the lattice vectors are linearly dependent/],
  ['mismatched arrays', () => ({ ...melt, positions: frame.positions.subarray(0, 189) }), /positions: expected 192 numbers \(3 per atom for 64 types\), got 189/],
  ['1e9 atoms claimed (mismatched arrays)', () => ({ positions: [0, 0, 0], types: hugeArrayLike(1e9, 11) }), /positions: expected 3000000000 numbers \(3 per atom for 1000000000 types\), got 3/],
  ['unknown system field', () => ({ ...melt, velocity: [] }) as never, /system\.velocity: unknown field/],
];

describe('models: bad systems', () => {
  for (const [modelName, model] of models) {
    for (const [name, make, message] of badSystems) {
      it(`${modelName}: ${name}`, () => void counter.throws(() => model.compute(make(), { forces: true, stress: true }), message, stillWorks, name));
    }
    it(`${modelName}: computeAsync rejects with the same messages`, async () => {
      for (const [name, make, message] of badSystems) await counter.rejects(() => model.computeAsync(make()), message, stillWorks, name);
    });
    it(`${modelName}: stress of a molecule is refused`, () => {
      counter.throws(() => model.compute({ positions: [0, 0, 0, 2.8, 0, 0], types: [11, 17] }, { stress: true }), /stress: the system has no cell/, stillWorks);
    });
    it(`${modelName}: empty systems have zero energy`, () => {
      for (const empty of [{ positions: [], types: [] }, { positions: [], types: [], cell: frame.cell }]) {
        const r = counter.accepts(() => model.compute(empty, { forces: true }));
        expect(r.energy).toBe(0);
        expect(r.forces!.length).toBe(0);
      }
      stillWorks();
    });
    it(`${modelName}: a left-handed cell gives the right-handed results`, () => {
      const h = Array.from(frame.cell!);
      const left = [...h.slice(3, 6), ...h.slice(0, 3), ...h.slice(6)];
      const r = counter.accepts(() => model.compute({ ...melt, cell: left }, { forces: true, stress: true }));
      const ref = references.get(modelName)!;
      expect(Math.abs(r.energy - ref.energy)).toBeLessThan(1e-10 * Math.abs(ref.energy));
      expect(maxRelative(r.forces!, ref.forces!)).toBeLessThan(1e-9);
      expect(maxRelative(r.stress!, ref.stress!)).toBeLessThan(1e-9);
    });
  }
});

// ---- model files -----------------------------------------------------------

interface Parts {
  prefix: Buffer;
  header: Record<string, unknown> & { arrays: { name: string; length: number }[]; features: FeatureSetSpec; scales: unknown[] };
  payload: Buffer;
}

function split(bytes: Buffer): Parts {
  const jsonLength = bytes.readUInt32LE(12);
  const start = 16 + jsonLength + ((8 - ((16 + jsonLength) % 8)) % 8);
  return { prefix: bytes.subarray(0, 16), header: JSON.parse(bytes.toString('utf8', 16, 16 + jsonLength)), payload: bytes.subarray(start) };
}

/** Reassembles a file from (edited) parts; the checksum is recomputed unless `keepChecksum`. */
function join3(parts: Parts, keepChecksum = false): Buffer {
  const header = keepChecksum ? parts.header : { ...parts.header, sha256: createHash('sha256').update(parts.payload).digest('hex') };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.from(parts.prefix);
  prefix.writeUInt32LE(json.length, 12);
  return Buffer.concat([prefix, json, Buffer.alloc((8 - ((16 + json.length) % 8)) % 8), parts.payload]);
}

function edit(bytes: Buffer, change: (p: Parts) => void, keepChecksum = false): Buffer {
  const parts = split(bytes);
  parts.header = structuredClone(parts.header);
  parts.payload = Buffer.from(parts.payload);
  change(parts);
  return join3(parts, keepChecksum);
}

const files = new Map(models.map(([name, m]) => [name, serializeModel(m)]));
const dir = mkdtempSync(join(tmpdir(), 'lodestone-reliability-models-'));

describe('model files', () => {
  for (const [kind, model] of models) {
    const bytes = files.get(kind)!;
    const roundTrip = () => {
      const r = deserializeModel(bytes).model.compute(melt, { forces: true, stress: true });
      expect(r.energy).toBe(references.get(kind)!.energy);
      stillWorks();
    };

    it(`${kind}: the intact file round-trips bit for bit`, () => {
      const reference = references.get(kind)!;
      const r = deserializeModel(join3(split(bytes), true), 'x').model.compute(melt, { forces: true, stress: true });
      expect(r.energy).toBe(reference.energy);
      expect(differences(r.forces, reference.forces)).toBe(0);
      expect(differences(r.stress, reference.stress)).toBe(0);
      // and the reference is the in-memory model's own result
      expect(model.compute(melt).energy).toBe(reference.energy);
    });

    it(`${kind}: every truncation is refused with a message`, () => {
      const jsonEnd = 16 + bytes.readUInt32LE(12);
      const cuts = [0, 1, 7, 8, 12, 15, 16, 17, 40, jsonEnd - 1, jsonEnd, jsonEnd + 3, bytes.length - 8, bytes.length - 1];
      for (let c = jsonEnd + 8; c < bytes.length; c += 97) cuts.push(c);
      for (const cut of cuts) {
        counter.throws(
          () => deserializeModel(bytes.subarray(0, cut), 'cut.lsm'),
          /^cut\.lsm: (not a lodestone model file|truncated|corrupt header)/,
          undefined,
          `truncated at ${cut} of ${bytes.length}`,
        );
      }
      roundTrip();
    });

    const corruptions: [string, () => Buffer, RegExp][] = [
      ['bad magic', () => Buffer.concat([Buffer.from('LDSTMODX'), bytes.subarray(8)]), /bad magic bytes/],
      ['format version 2', () => { const b = Buffer.from(bytes); b.writeUInt32LE(2, 8); return b; }, /model format version 2 is not supported/],
      ['header length 0xffffffff', () => { const b = Buffer.from(bytes); b.writeUInt32LE(0xffffffff, 12); return b; }, /truncated file: header of 4294967295 bytes/],
      ['header not JSON', () => { const b = Buffer.from(bytes); b.write('{{{', 16, 'latin1'); return b; }, /corrupt header \(/],
      ['header a JSON array', () => join3({ ...split(bytes), header: [1, 2] as never }), /corrupt header/],
      ['unknown kind', () => edit(bytes, (p) => (p.header.kind = 'neural')), /unknown model kind "neural"/],
      ['a flipped parameter byte', () => { const b = Buffer.from(bytes); b[b.length - 20] ^= 0x40; return b; }, /corrupt parameters \(checksum mismatch\)/],
      ['one parameter too many', () => edit(bytes, (p) => (p.payload = Buffer.concat([p.payload, Buffer.alloc(8)]))), /expected \d+ bytes of parameters, found \d+/],
      ['huge array length', () => edit(bytes, (p) => (p.header.arrays[0].length = 1e15)), /expected 8\d+ bytes of parameters/],
      ['negative array length (total preserved)', () => edit(bytes, (p) => { p.header.arrays[0].length = -5; p.header.arrays[1].length += p.payload.length / 8 + 5 - p.header.arrays.reduce((n, a) => n + a.length, 0) + (-5); }), /arrays\[0\]\.length: expected a non-negative integer/],
      ['fractional array length', () => edit(bytes, (p) => { p.header.arrays[0].length -= 0.5; p.header.arrays[1].length += 0.5; }), /arrays\[0\]\.length: expected a non-negative integer/],
      ['string array length', () => edit(bytes, (p) => (p.header.arrays[0].length = String(p.header.arrays[0].length) as never)), /arrays\[0\]\.length: expected a non-negative integer/],
      ['missing biases array', () => edit(bytes, (p) => (p.header.arrays.find((a) => a.name === 'biases')!.name = 'offsets')), /no 'biases' array/],
      ['features null', () => edit(bytes, (p) => (p.header.features = null as never)), /features: expected \{species, blocks\}/],
      ['a hyper of the wrong type', () => edit(bytes, (p) => ((p.header.features.blocks[0] as { hypers: { cutoff: { radius: unknown } } }).hypers.cutoff.radius = '3.5')), /hypers\.cutoff\.radius: expected a finite number, got "3\.5"/],
      ['a different feature size', () => edit(bytes, (p) => ((p.header.features.blocks[0] as { hypers: { basis: { max_angular: number } } }).hypers.basis.max_angular = 2)), /feature dimension \d+ differs from the stored \d+/],
      ['scales of strings', () => edit(bytes, (p) => (p.header.scales = ['1'])), /scales: expected 1 finite positive number/],
      ['scales missing', () => edit(bytes, (p) => delete (p.header as Record<string, unknown>).scales), /scales: expected 1 finite positive number/],
      ['scales too long', () => edit(bytes, (p) => (p.header.scales = [1, 1])), /scales: expected 1 finite positive number/],
      ['a NaN parameter (valid checksum)', () => edit(bytes, (p) => p.payload.writeDoubleLE(Number.NaN, 0)), /non-finite parameter/],
      ['an Infinity parameter (valid checksum)', () => edit(bytes, (p) => p.payload.writeDoubleLE(Infinity, p.payload.length - 8)), /non-finite parameter/],
    ];
    if (kind === 'sparse-kernel') {
      corruptions.push(
        ['zeta a string', () => edit(bytes, (p) => (p.header.zeta = '2')), /zeta: expected an integer >= 1/],
        ['zeta 0', () => edit(bytes, (p) => (p.header.zeta = 0)), /zeta: expected an integer >= 1/],
        ['counts missing', () => edit(bytes, (p) => delete (p.header as Record<string, unknown>).counts), /counts: expected 2 integers >= 0/],
        ['counts not matching the points', () => edit(bytes, (p) => (p.header.counts = [1, 1])), /sparse-kernel model: (points|weights): expected/],
      );
    }

    for (const [name, make, message] of corruptions) {
      it(`${kind}: ${name}`, () => {
        counter.throws(() => deserializeModel(make(), 'bad.lsm'), new RegExp(`^bad\\.lsm: .*${message.source}`), roundTrip, name);
      });
    }
  }

  it('loadModel: missing file, a directory, an empty file, a text file', () => {
    const empty = join(dir, 'empty.lsm');
    writeFileSync(empty, '');
    const text = join(dir, 'model.json');
    writeFileSync(text, '{"kind": "linear"}');
    mkdirSync(join(dir, 'a-directory'), { recursive: true });
    counter.throws(() => loadModel(join(dir, 'missing.lsm')), /missing\.lsm: cannot read the model file \(ENOENT/, stillWorks);
    counter.throws(() => loadModel(join(dir, 'a-directory')), /a-directory: cannot read the model file \(EISDIR/, stillWorks);
    counter.throws(() => loadModel(empty), /empty\.lsm: not a lodestone model file/, stillWorks);
    counter.throws(() => loadModel(text), /model\.json: not a lodestone model file/, stillWorks);
  });
});

// ---- feature-set specs and fitting ------------------------------------------

const soapHypers = (): Record<string, unknown> => structuredClone((spec.blocks[0] as unknown as { hypers: Record<string, unknown> }).hypers);
const badSpecs: [string, () => unknown, RegExp][] = [
  ['spec null', () => null, /features: expected \{species, blocks\}/],
  ['species strings', () => ({ species: ['11', '17'], blocks: [{ kind: 'soap', hypers: soapHypers() }] }), /features\.species: expected a non-empty array of atomic numbers/],
  ['species empty', () => ({ species: [], blocks: [{ kind: 'soap', hypers: soapHypers() }] }), /features\.species: expected a non-empty array/],
  ['species unsorted', () => ({ species: [17, 11], blocks: [{ kind: 'soap', hypers: soapHypers() }] }), /features\.species: expected unique atomic numbers in increasing order/],
  ['species 0', () => ({ species: [0, 11], blocks: [{ kind: 'soap', hypers: soapHypers() }] }), /features\.species: expected a non-empty array of atomic numbers/],
  ['no blocks', () => ({ species: [11, 17], blocks: [] }), /features\.blocks: expected at least one block/],
  ['blocks an object', () => ({ species: [11, 17], blocks: { kind: 'soap' } }), /features\.blocks: expected at least one block/],
  ['unknown block kind', () => ({ species: [11, 17], blocks: [{ kind: 'bispectrum' }] }), /features\.blocks\[0\]\.kind: expected 'soap', 'multiscale' or 'lode'/],
  ['soap hypers null', () => ({ species: [11, 17], blocks: [{ kind: 'soap', hypers: null }] }), /hypers: expected an object with keys cutoff, density, basis/],
  ['soap cutoff radius a string', () => ({ species: [11, 17], blocks: [{ kind: 'soap', hypers: { ...soapHypers(), cutoff: { radius: '4', smoothing: { type: 'ShiftedCosine', width: 0.5 } } } }] }), /hypers\.cutoff\.radius: expected a finite number, got "4"/],
  ['soap max_angular a float', () => { const h = soapHypers() as { basis: { max_angular: number } }; h.basis.max_angular = 1.5; return { species: [11, 17], blocks: [{ kind: 'soap', hypers: h }] }; }, /hypers\.basis\.max_angular: expected an integer/],
  ['soap density width an array', () => { const h = soapHypers() as { density: { width: unknown } }; h.density.width = [0.5]; return { species: [11, 17], blocks: [{ kind: 'soap', hypers: h }] }; }, /hypers\.density\.width: expected a finite number/],
  ['multiscale without a potential', () => ({ species: [11, 17], blocks: [{ kind: 'multiscale', density: soapHypers() }] }), /potential|hypers/],
  ['lode potential a number', () => ({ species: [11, 17], blocks: [{ kind: 'lode', potential: 3 }] }), /hypers|potential/],
  ['baseline of an unknown kind', () => ({ species: [11, 17], blocks: [{ kind: 'soap', hypers: soapHypers() }], baseline: { kind: 'pme' } }), /features\.baseline\.kind: expected 'ewald' or 'charges', got "pme"/],
  ['baseline charge a string', () => ({ species: [11, 17], blocks: [{ kind: 'soap', hypers: soapHypers() }], baseline: { kind: 'ewald', charges: { 11: '1', 17: -1 } } }), /features\.baseline\.charges: expected a charge \(e\) for atomic number 11, got "1"/],
];

describe('FeatureSet specs with wrong types', () => {
  for (const [name, make, message] of badSpecs) {
    it(name, () => {
      counter.throws(() => new FeatureSet(make() as FeatureSetSpec), message, stillWorks, name);
      counter.throws(() => fitLinearModel(make() as FeatureSetSpec, training.slice(0, 3), { regularizations: [1e-6] }), message, stillWorks, `${name} (fit)`);
    });
  }
});

describe('fitting with bad frames and options', () => {
  const frames = training.slice(0, 3);
  const cases: [string, () => unknown, RegExp][] = [
    ['one frame', () => fitLinearModel(spec, frames.slice(0, 1)), /frames: expected at least 2 training frames, got 1/],
    ['NaN energy', () => fitLinearModel(spec, frames.map((f, k) => (k === 1 ? { ...f, energy: Number.NaN } : f)), { regularizations: [1e-6] }), /frames\[1\]\.energy: expected a finite number/],
    ['forces of the wrong length', () => fitLinearModel(spec, frames.map((f, k) => (k === 2 ? { ...f, forces: new Float64Array(5) } : f)), { regularizations: [1e-6] }), /frames\[2\]\.forces: expected 192 numbers, got 5/],
    ['a NaN force', () => fitLinearModel(spec, frames.map((f, k) => (k === 0 ? { ...f, forces: Float64Array.from(f.forces!, (v, i) => (i === 4 ? Number.NaN : v)) } : f)), { regularizations: [1e-6] }), /frames\[0\]\.forces.*finite/],
    ['a frame with an unknown species', () => fitLinearModel(spec, frames.map((f, k) => (k === 1 ? { ...f, system: { ...f.system, types: Int32Array.from(f.system.types, (t, i) => (i === 0 ? 3 : t)) } } : f)), { regularizations: [1e-6] }), /types\[0\]: atomic number 3 is unknown to this model/],
    ['energyWeight 0', () => fitLinearModel(spec, frames, { energyWeight: 0 }), /energyWeight: expected a number > 0/],
    ['folds 1', () => fitLinearModel(spec, frames, { folds: 1 }), /folds: expected an integer >= 2, got 1/],
    ['folds 2.5', () => fitLinearModel(spec, frames, { folds: 2.5 }), /folds: expected an integer >= 2, got 2.5/],
    ['maxMemory below the estimate', () => fitLinearModel(spec, frames, { maxMemory: 1e6 }), /fit: needs about .* more than the limit of .*speciesWeights 'shared'/],
    ['one group only', () => fitLinearModel(spec, frames.map((f) => ({ ...f, group: 'a' }))), /all frames are in one group/],
    ['empty regularisations', () => fitLinearModel(spec, frames, { regularizations: [] }), /regularizations: expected a non-empty array/],
    ['NaN regularisation', () => fitLinearModel(spec, frames, { regularizations: [Number.NaN] }), /regularizations: expected a non-empty array of finite numbers/],
    ['sparse points 0', () => fitSparseKernelModel(spec, frames, { sparsePoints: 0, regularizations: [1e-6] }), /sparsePoints: expected an integer >= 1, got 0/],
    ['zeta 1.5', () => fitSparseKernelModel(spec, frames, { zeta: 1.5, regularizations: [1e-6] }), /zeta: expected an integer >= 1/],
  ];
  for (const [name, f, message] of cases) it(name, () => void counter.throws(f, message, stillWorks, name));
});

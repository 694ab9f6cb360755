// Model files: magic, format version, a JSON header (features, scales,
// metadata, array lengths, checksum) and the parameters as little-endian
// float64 (bit-exact round trips, unlike decimal text). The header's `kind`
// says which model the arrays belong to; adding a kind changes nothing for
// files of the existing ones, so the format version stays 1.
import type { ClosestPairs } from '../core/contacts.js';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { FeatureSet, type FeatureSetSpec } from './feature-set.js';
import { LinearModel } from './linear-model.js';
import { SparseKernelModel } from './sparse-kernel.js';
import { TensorModel, type Isotropic } from './tensor/model.js';
import type { TensorTarget } from './tensor/target.js';

/** Every model kind a file can hold. */
export type Model = LinearModel | SparseKernelModel;
export const MODEL_KINDS = ['linear', 'sparse-kernel'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
/** Every kind a model file can hold: the potentials, and tensor models (dipoles, polarizabilities). */
const FILE_KINDS: readonly string[] = [...MODEL_KINDS, 'tensor'];

const MAGIC = 'LDSTMODL';
export const MODEL_FORMAT_VERSION = 1;

export interface ModelMetadata {
  created?: string;
  datasetHash?: string;
  fit?: unknown;
  [key: string]: unknown;
}

/** The closest pair distances of the training frames that a model file of lodestone fit keeps (FitReport.closestPairs); absent in older files. */
export function trainingClosestPairs(metadata: ModelMetadata): ClosestPairs | undefined {
  return (metadata.fit as { closestPairs?: ClosestPairs } | undefined)?.closestPairs;
}

interface Header {
  kind: ModelKind;
  features: FeatureSetSpec;
  /** sparse-kernel only: kernel exponent and sparse points per species. */
  zeta?: number;
  counts?: number[];
  /** sparse-kernel only: the feature blocks the kernel compares (absent: all). */
  kernelBlocks?: number[];
  scales: number[];
  /** With features.contraction: the learned matrices, [block][expansion] (JSON numbers round-trip float64 exactly). */
  contractions?: number[][][];
  dimension: number;
  arrays: Array<{ name: string; length: number }>;
  sha256: string;
  metadata: ModelMetadata;
}

/** A tensor model's header: its target, features and per-order block scales. */
interface TensorHeader {
  kind: 'tensor';
  target: TensorTarget;
  isotropic: Isotropic;
  features: FeatureSetSpec;
  contractions?: number[][][];
  /** Per order: lambda, block scales, and the kernel part's exponent when it has one. */
  orders: Array<{ lambda: number; scales: number[]; kernel?: { zeta: number } }>;
  arrays: Array<{ name: string; length: number }>;
  sha256: string;
  metadata: ModelMetadata;
}

function littleEndianBytes(arrays: Float64Array[]): Buffer {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const out = Buffer.alloc(8 * total);
  let offset = 0;
  for (const a of arrays) for (const v of a) offset = out.writeDoubleLE(v, offset);
  return out;
}

function modelArrays(model: Model): Array<{ name: string; values: Float64Array }> {
  if (model instanceof SparseKernelModel) {
    return [
      { name: 'points', values: model.points },
      { name: 'weights', values: model.weights },
      { name: 'biases', values: model.biases },
      ...(model.linear ? [{ name: 'linear', values: model.linear }] : []),
    ];
  }
  return [
    { name: 'weights', values: model.weights },
    { name: 'biases', values: model.biases },
  ];
}

/** The file's bytes: magic, version, JSON header (with the arrays' names, lengths and checksum), padding, the arrays. */
function packModelFile(header: Omit<Header, 'arrays' | 'sha256' | 'metadata'> | Omit<TensorHeader, 'arrays' | 'sha256' | 'metadata'>, arrays: Array<{ name: string; values: Float64Array }>, metadata: ModelMetadata): Buffer {
  const payload = littleEndianBytes(arrays.map((a) => a.values));
  const full = {
    ...header,
    arrays: arrays.map((a) => ({ name: a.name, length: a.values.length })),
    sha256: createHash('sha256').update(payload).digest('hex'),
    metadata: { created: new Date().toISOString(), ...metadata },
  };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const prefix = Buffer.alloc(16);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(MODEL_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  const padding = Buffer.alloc((8 - ((16 + json.length) % 8)) % 8);
  return Buffer.concat([prefix, json, padding, payload]);
}

export function serializeModel(model: Model, metadata: ModelMetadata = {}): Buffer {
  return packModelFile(
    {
      kind: model instanceof SparseKernelModel ? 'sparse-kernel' : 'linear',
      features: model.features.spec,
      ...(model instanceof SparseKernelModel ? { zeta: model.zeta, counts: model.counts, kernelBlocks: model.view.blocks } : {}),
      scales: model.features.scales,
      ...contractionsOf(model.features),
      dimension: model.features.dimension,
    },
    modelArrays(model),
    metadata,
  );
}

function contractionsOf(features: FeatureSet): { contractions?: number[][][] } {
  return features.contractions ? { contractions: features.contractions.map((list) => list.map((m) => Array.from(m))) } : {};
}

/** Header and arrays of a model file, checked for magic, version, lengths, checksum and finite parameters. */
function unpackModelFile(bytes: Buffer, source: string): { header: Header | TensorHeader; arrays: Map<string, Float64Array> } {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (bytes.length < 16 || bytes.toString('latin1', 0, 8) !== MAGIC) fail('not a lodestone model file (bad magic bytes)');
  const version = bytes.readUInt32LE(8);
  if (version !== MODEL_FORMAT_VERSION) {
    fail(`model format version ${version} is not supported (this lodestone reads version ${MODEL_FORMAT_VERSION})`);
  }
  const jsonLength = bytes.readUInt32LE(12);
  if (16 + jsonLength > bytes.length) fail(`truncated file: header of ${jsonLength} bytes does not fit in ${bytes.length}`);
  let header: Header | TensorHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 16, 16 + jsonLength)) as Header;
  } catch (e) {
    return fail(`corrupt header (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.arrays)) fail('corrupt header (missing fields)');
  header.arrays.forEach((a, k) => {
    if (typeof a !== 'object' || a === null || typeof a.name !== 'string') fail(`corrupt header: arrays[${k}]: expected {name, length}`);
    if (!Number.isSafeInteger(a.length) || a.length < 0) {
      fail(`corrupt header: arrays[${k}].length: expected a non-negative integer, got ${JSON.stringify(a.length)}`);
    }
  });
  if (!FILE_KINDS.includes(header.kind)) {
    fail(`unknown model kind ${JSON.stringify(header.kind)} (this lodestone reads ${FILE_KINDS.join(', ')})`);
  }
  const start = 16 + jsonLength + ((8 - ((16 + jsonLength) % 8)) % 8);
  const expected = header.arrays.reduce((n, a) => n + a.length, 0);
  const payload = bytes.subarray(start);
  if (payload.length !== 8 * expected) fail(`truncated or padded file: expected ${8 * expected} bytes of parameters, found ${payload.length}`);
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) fail('corrupt parameters (checksum mismatch)');
  const arrays = new Map<string, Float64Array>();
  let offset = 0;
  for (const a of header.arrays) {
    const values = new Float64Array(a.length);
    for (let k = 0; k < a.length; k++, offset += 8) {
      values[k] = payload.readDoubleLE(offset);
      if (!Number.isFinite(values[k])) fail(`corrupt parameters: non-finite parameter ${a.name}[${k}] = ${values[k]}`);
    }
    arrays.set(a.name, values);
  }
  return { header, arrays };
}

/** The feature set a header describes, with its learned contraction. */
function headerFeatures(header: { features: FeatureSetSpec; contractions?: number[][][] }, fail: (what: string) => never): FeatureSet {
  let features: FeatureSet;
  try {
    features = new FeatureSet(header.features);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (header.features.contraction) {
    try {
      features.setContractions(header.contractions as number[][][]);
    } catch (e) {
      fail(`corrupt header: ${(e as Error).message}`);
    }
  }
  return features;
}

export function deserializeModel(bytes: Buffer, source = 'model'): { model: Model; metadata: ModelMetadata } {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  const unpacked = unpackModelFile(bytes, source);
  if (unpacked.header.kind === 'tensor') {
    fail(`holds a tensor model (${unpacked.header.target}), not a potential: load it with loadTensorModel, or predict with lodestone eval`);
  }
  const header = unpacked.header as Header;
  const arrays = unpacked.arrays;
  const features = headerFeatures(header, fail);
  if (features.dimension !== header.dimension) {
    fail(`feature dimension ${features.dimension} differs from the stored ${header.dimension} (incompatible lodestone version?)`);
  }
  const blocks = features.sizes.length;
  const scales: unknown = header.scales;
  if (!Array.isArray(scales) || scales.length !== blocks || !scales.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    fail(`corrupt header: scales: expected ${blocks} finite positive number(s) (one per feature block), got ${JSON.stringify(scales)}`);
  }
  features.scales = [...(scales as number[])];
  const array = (name: string): Float64Array => arrays.get(name) ?? fail(`corrupt header: no '${name}' array for a ${header.kind} model`);
  const weights = array('weights');
  const biases = array('biases');
  const points = header.kind === 'sparse-kernel' ? array('points') : undefined;
  let model: Model;
  try {
    model = points
      ? new SparseKernelModel(features, {
          zeta: header.zeta as number,
          counts: header.counts as number[],
          points,
          weights,
          biases,
          ...(arrays.has('linear') ? { linear: arrays.get('linear') } : {}),
          ...(header.kernelBlocks !== undefined ? { kernelBlocks: header.kernelBlocks } : {}),
        })
      : new LinearModel(features, { weights, biases });
  } catch (e) {
    return fail((e as Error).message);
  }
  return { model, metadata: header.metadata };
}

export function saveModel(path: string, model: Model, metadata: ModelMetadata = {}): void {
  writeFileSync(path, serializeModel(model, metadata));
}

function readModelFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the model file (${(e as Error).message})`);
  }
}

export function loadModel(path: string): { model: Model; metadata: ModelMetadata } {
  return deserializeModel(readModelFile(path), path);
}

export function serializeTensorModel(model: TensorModel, metadata: ModelMetadata = {}): Buffer {
  return packModelFile(
    {
      kind: 'tensor',
      target: model.target,
      isotropic: model.isotropic,
      features: model.features.spec,
      ...contractionsOf(model.features),
      orders: model.parameters.map((p) => ({ lambda: p.lambda, scales: p.scales, ...(p.kernel ? { kernel: { zeta: p.kernel.zeta } } : {}) })),
    },
    model.parameters.flatMap((p) => [
      { name: `weights${p.lambda}`, values: p.weights },
      { name: `biases${p.lambda}`, values: p.biases },
      ...(p.kernel
        ? [
            { name: `kernelSpecies${p.lambda}`, values: Float64Array.from(p.kernel.species) },
            { name: `kernelPoints${p.lambda}`, values: p.kernel.points },
            { name: `kernelScalars${p.lambda}`, values: p.kernel.scalars },
            { name: `kernelWeights${p.lambda}`, values: p.kernel.weights },
          ]
        : []),
    ]),
    metadata,
  );
}

export function deserializeTensorModel(bytes: Buffer, source = 'model'): { model: TensorModel; metadata: ModelMetadata } {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  const { header, arrays } = unpackModelFile(bytes, source);
  if (header.kind !== 'tensor') fail(`holds a ${header.kind} potential, not a tensor model: load it with loadModel`);
  const tensor = header as TensorHeader;
  if (!Array.isArray(tensor.orders)) fail('corrupt header: orders: expected a list of {lambda, scales}');
  const features = headerFeatures(tensor, fail);
  const array = (name: string): Float64Array => arrays.get(name) ?? fail(`corrupt header: no '${name}' array for a tensor model`);
  try {
    const parameters = tensor.orders.map((o) => ({
      lambda: o.lambda,
      scales: o.scales,
      weights: array(`weights${o.lambda}`),
      biases: array(`biases${o.lambda}`),
      ...(o.kernel
        ? {
            kernel: {
              zeta: o.kernel.zeta,
              species: Int32Array.from(array(`kernelSpecies${o.lambda}`)),
              points: array(`kernelPoints${o.lambda}`),
              scalars: array(`kernelScalars${o.lambda}`),
              weights: array(`kernelWeights${o.lambda}`),
            },
          }
        : {}),
    }));
    return { model: new TensorModel(tensor.target, features, parameters, tensor.isotropic), metadata: tensor.metadata };
  } catch (e) {
    return fail((e as Error).message);
  }
}

/** What a model file holds: one of MODEL_KINDS (a potential) or 'tensor'. */
export function modelFileKind(path: string): ModelKind | 'tensor' {
  return unpackModelFile(readModelFile(path), path).header.kind;
}

export function saveTensorModel(path: string, model: TensorModel, metadata: ModelMetadata = {}): void {
  writeFileSync(path, serializeTensorModel(model, metadata));
}

export function loadTensorModel(path: string): { model: TensorModel; metadata: ModelMetadata } {
  return deserializeTensorModel(readModelFile(path), path);
}

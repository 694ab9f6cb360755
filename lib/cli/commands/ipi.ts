import { contactInterval, outsideTraining, type ClosestPairs } from '../../core/contacts.js';
import { describeContact } from '../../md/watchdog.js';
import type { ForceField } from '../../core/forcefield.js';
import { toNativeSystem } from '../../core/system.js';
import { serveForceField, describeAddress, type ServeOptions } from '../../ipi/index.js';
import { symbolOf } from '../../io/elements.js';
import { readExtxyz } from '../../io/extxyz.js';
import { loadModel, trainingClosestPairs } from '../../model/index.js';
import { setNumThreads } from '../../core/threads.js';
import { helpText, numberOption, parseArgs, stringOption, type CommandSpec } from '../args.js';
import { parseTypes } from '../species.js';

export { parseTypes };

export const spec: CommandSpec = {
  name: 'ipi',
  usage: 'lodestone ipi --model MODEL (--structure START.xyz | --types LIST) (--unix NAME | --host HOST --port PORT) [options]',
  summary: 'Serve a model to i-PI or ASE (SocketIOCalculator) over the i-PI socket protocol.',
  details: [
    'Connects as a client to a running i-PI protocol server and computes energy, forces and virial',
    'for every configuration it sends, until it sends EXIT (i-PI) or closes the connection (ASE).',
    'The protocol carries no species: they come from the first frame of --structure (extended XYZ,',
    'atoms in the same order as the server\'s) or from --types (e.g. Na,Cl,Cl or 11x32,17x32).',
    'Units on the wire are atomic (Bohr, Hartree; CODATA 2014 conversions). Unix sockets are',
    '/tmp/ipi_NAME. For several beads/replicas, start several clients against one TCP server.',
  ].join('\n'),
  options: [
    { name: 'model', value: 'MODEL', description: 'model file (lodestone fit)' },
    { name: 'structure', value: 'FILE', description: 'extended XYZ start structure: species (and pbc) of the atoms' },
    { name: 'types', value: 'LIST', description: 'species instead of --structure: comma-separated symbols or numbers, SYMBOLxCOUNT' },
    { name: 'unix', value: 'NAME', description: 'unix socket /tmp/ipi_NAME' },
    { name: 'host', value: 'HOST', description: 'TCP server host', default: 'localhost' },
    { name: 'port', value: 'PORT', description: 'TCP server port (i-PI default 31415)' },
    {
      name: 'threads',
      value: 'N',
      description: 'OpenMP threads; use 1 (or OMP_WAIT_POLICY=passive) when the server shares the cores: spinning threads starve it',
    },
    { name: 'wait', value: 'SECONDS', description: 'keep retrying until the server listens', default: '60' },
    { name: 'log-every', value: 'STEPS', description: 'print energy every STEPS steps (0: never)', default: '0' },
    {
      name: 'no-contact-check',
      description: "serve atoms closer than 0.8 x the closest pair of their species in the model's training data (kept in model files of lodestone fit) instead of stopping there",
    },
    { name: 'quiet', description: 'print nothing but errors' },
    { name: 'help', description: 'show this help' },
  ],
};

function formula(types: ArrayLike<number>): string {
  const counts = new Map<number, number>();
  for (let i = 0; i < types.length; i++) counts.set(types[i], (counts.get(types[i]) ?? 0) + 1);
  return [...counts].map(([z, n]) => `${symbolOf(z)}${n}`).join('');
}

/**
 * The model, refusing configurations whose atoms come closer than its
 * training data's closest pairs allow (as lodestone md's watchdog does):
 * an engine driving a model into a hole would otherwise get forces of a
 * fitted energy that falls where the true one rises.
 */
function checkingContacts(model: ForceField, closestPairs: ClosestPairs): ForceField {
  let calls = 0;
  return {
    compute(system, request) {
      const native = toNativeSystem(system);
      const close = calls++ % contactInterval(native.types.length) === 0 ? outsideTraining(native, closestPairs) : null;
      if (close) throw new Error(`${describeContact(close, native.types)} (--no-contact-check serves it anyway)`);
      return model.compute(system, request);
    },
  };
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv, spec);
  if (args.options.has('help')) return void console.log(helpText(spec));
  if (args.positionals.length) throw new Error(`unexpected argument ${JSON.stringify(args.positionals[0])}\n\n${helpText(spec)}`);
  const modelPath = stringOption(args, 'model', '');
  if (!modelPath) throw new Error(`--model is required\n\n${helpText(spec)}`);
  const structurePath = stringOption(args, 'structure', '');
  const typesList = stringOption(args, 'types', '');
  if (!structurePath && !typesList) throw new Error('give --structure START.xyz or --types LIST: the i-PI protocol sends no species');

  let types: number[] | undefined;
  let pbc: [boolean, boolean, boolean] | undefined;
  if (structurePath) {
    const frames = readExtxyz(structurePath);
    if (frames.length === 0) throw new Error(`${structurePath}: no frames`);
    types = [...frames[0].types];
    if (frames[0].cell) pbc = frames[0].pbc;
  }
  if (typesList) {
    const listed = parseTypes(typesList);
    if (types && (listed.length !== types.length || listed.some((z, i) => z !== types![i]))) {
      throw new Error(`--types (${formula(listed)}) disagrees with ${structurePath} (${formula(types)})`);
    }
    types = listed;
  }

  const unix = args.options.has('unix') ? stringOption(args, 'unix', '') : undefined;
  const hasTcp = args.options.has('port') || args.options.has('host');
  if ((unix !== undefined) === hasTcp) throw new Error('give either --unix NAME or --host HOST --port PORT');
  const address: Pick<ServeOptions, 'unix' | 'host' | 'port'> =
    unix !== undefined
      ? { unix }
      : { host: stringOption(args, 'host', 'localhost'), port: numberOption(args, 'port', 31415, (v) => Number.isInteger(v) && v > 0 && v < 65536) };
  const wait = numberOption(args, 'wait', 60, (v) => v >= 0);
  const every = numberOption(args, 'log-every', 0, (v) => Number.isInteger(v) && v >= 0);
  const quiet = args.options.has('quiet');
  const say = (line: string): void => {
    if (!quiet) console.log(line);
  };

  if (args.options.has('threads')) setNumThreads(numberOption(args, 'threads', 1, (v) => Number.isInteger(v) && v >= 1));
  const { model, metadata } = loadModel(modelPath);
  const closestPairs = trainingClosestPairs(metadata);
  // Before connecting: a server would otherwise wait on a client that fails at its first step.
  const known = model.features.spec.species;
  const unknown = [...new Set(types!)].filter((z) => !known.includes(z));
  if (unknown.length) {
    throw new Error(
      `${structurePath || '--types'}: species ${unknown.map((z) => `${symbolOf(z)} (${z})`).join(', ')} unknown to ${modelPath} (species ${known.map(symbolOf).join(', ')})`,
    );
  }
  say(`lodestone ipi: serving ${modelPath} for ${types!.length} atoms (${formula(types!)}) on ${describeAddress(address)}`);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const served = closestPairs && !args.options.has('no-contact-check') ? checkingContacts(model, closestPairs) : model;
    const summary = await serveForceField(served, {
      ...address,
      types: types!,
      pbc,
      connectTimeout: wait * 1000,
      signal: controller.signal,
      log: (line) => say(`lodestone ipi: ${line}`),
      onStep: every
        ? ({ step, result }) => {
            if (step % every === 0) say(`step ${step}  energy ${result.energy.toFixed(6)} eV`);
          }
        : undefined,
    });
    const rate = summary.seconds > 0 ? summary.steps / summary.seconds : 0;
    say(`lodestone ipi: ${summary.steps} steps in ${summary.seconds.toFixed(2)} s (${rate.toFixed(1)} steps/s), ended by ${summary.end === 'exit' ? 'EXIT' : 'the server closing the connection'}`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

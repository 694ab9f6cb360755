// `lodestone COMMAND ...`: every command has --help.
import * as evalCommand from './commands/eval.js';
import * as featuresCommand from './commands/features.js';
import * as fitCommand from './commands/fit.js';
import * as mdCommand from './commands/md.js';
import * as ipiCommand from './commands/ipi.js';
import type { CommandSpec } from './args.js';

interface Command {
  spec: CommandSpec;
  run(argv: string[]): Promise<void>;
}

const commands: Record<string, Command> = {
  fit: fitCommand,
  eval: evalCommand,
  features: featuresCommand,
  md: mdCommand,
  ipi: ipiCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length)) + 2;
  return [
    'Usage: lodestone COMMAND [options]   (lodestone COMMAND --help for details)',
    '',
    'Multi-scale (SOAP + LODE) machine-learning potentials. Units: A, eV, eV/A, fs, K.',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.spec.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`lodestone: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    console.error(`lodestone ${name}: ${(e as Error).message}`);
    return 1;
  }
}

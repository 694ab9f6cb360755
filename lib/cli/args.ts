// Minimal command-line parsing: positionals, `--name value`, `--flag`.
export interface OptionSpec {
  name: string;
  /** Placeholder of the value; absent for boolean flags. */
  value?: string;
  description: string;
  default?: string;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  options: OptionSpec[];
  details?: string;
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: string[], spec: CommandSpec): ParsedArgs {
  const known = new Map(spec.options.map((o) => [o.name, o]));
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const option = known.get(name);
    if (!option) throw new Error(`unknown option --${name} (see lodestone ${spec.name} --help)`);
    if (option.value === undefined) {
      options.set(name, true);
    } else {
      const value = inline ?? argv[++k];
      if (value === undefined) throw new Error(`--${name} needs a value (${option.value})`);
      options.set(name, value);
    }
  }
  return { positionals, options };
}

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary];
  if (spec.details) lines.push('', spec.details);
  if (spec.options.length) {
    lines.push('', 'Options:');
    const left = spec.options.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}`);
    const width = Math.max(...left.map((l) => l.length)) + 2;
    spec.options.forEach((o, k) => {
      lines.push(`${left[k].padEnd(width)}${o.description}${o.default !== undefined ? ` (default: ${o.default})` : ''}`);
    });
  }
  return lines.join('\n');
}

export function numberOption(args: ParsedArgs, name: string, fallback: number, check?: (v: number) => boolean): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw === true || !Number.isFinite(value) || (check && !check(value))) {
    throw new Error(`--${name}: invalid value ${JSON.stringify(raw)}`);
  }
  return value;
}

export function stringOption(args: ParsedArgs, name: string, fallback: string): string {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  if (raw === true) throw new Error(`--${name}: expected a value`);
  return raw;
}

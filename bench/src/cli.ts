/**
 * Command line: `npm run bench -- <suite> [--quick] [--only <impl>[,<impl>…]] [--out <dir>]`.
 * Suites register by name (see suites.ts), so `tokenizer`, `train`, … slot in without touching this.
 */
export interface CliOptions {
  suite: string;
  /** Tiny shapes and short budgets: a smoke test of the whole pipeline, not a measurement. */
  quick: boolean;
  /** Substrings of impl names to keep (`--only cria-wasm,onnx`); null keeps every impl. */
  only: string[] | null;
  /** Where the .json and .md go; null = bench/results. */
  outDir: string | null;
}

export type CliCommand = { kind: 'run'; options: CliOptions } | { kind: 'help' };

export class UsageError extends Error {
  constructor(message: string, usage: string) {
    super(`${message}\n\n${usage}`);
    this.name = 'UsageError';
  }
}

export function usage(suites: readonly string[]): string {
  return [
    'usage: npm run bench -- <suite> [--quick] [--only <impl>[,<impl>...]] [--out <dir>]',
    '',
    `suites:  ${suites.join(', ')}`,
    '--quick  tiny shapes, few runs: checks the pipeline end to end in seconds (writes <suite>-quick.*)',
    '--only   keep impls whose name contains one of these substrings, e.g. --only cria-wasm,tfjs',
    '--out    directory for <suite>.json and <suite>.md (default: bench/results)',
  ].join('\n');
}

export function parseCli(argv: readonly string[], suites: readonly string[]): CliCommand {
  const help = usage(suites);
  let suite: string | undefined;
  let quick = false;
  let only: string[] | null = null;
  let outDir: string | null = null;

  const valueOf = (flag: string, index: number): string => {
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`, help);
    return value;
  };

  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') return { kind: 'help' };
    if (argument === '--quick') {
      quick = true;
    } else if (argument === '--only') {
      only = valueOf(argument, index)
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0);
      index++;
    } else if (argument === '--out') {
      outDir = valueOf(argument, index);
      index++;
    } else if (argument.startsWith('-')) {
      throw new UsageError(`unknown option ${argument}`, help);
    } else if (suite === undefined) {
      suite = argument;
    } else {
      throw new UsageError(`one suite per run: got "${suite}" and "${argument}"`, help);
    }
  }

  if (suite === undefined) throw new UsageError('name a suite to run', help);
  if (!suites.includes(suite)) throw new UsageError(`unknown suite "${suite}"`, help);
  return { kind: 'run', options: { suite, quick, only, outDir } };
}

/**
 * What a `cria` subcommand is: a name, a one-line summary, its options (for `node:util` parseArgs
 * and for the help text) and `run`. New commands (train, distill, eval, bench, convert) plug in by
 * adding one file and one line to the registry in commands/index.ts.
 */
import type { Readable, Writable } from 'node:stream';

export interface CommandOption {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in the help as `--name <placeholder>`. */
  placeholder?: string;
  description: string;
  /** Shown in the help; the command applies it (parseArgs defaults would hide "was it given?"). */
  defaultText?: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** The process's streams, passed in so commands can be driven in-process. */
export interface CommandIO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
}

export interface Command {
  name: string;
  summary: string;
  /** The synopsis line, e.g. `cria serve --model <dir|file.gguf> [options]`. */
  usage: string;
  options: Record<string, CommandOption>;
  /** Extra help text after the options (examples, notes). */
  details?: string;
  /** Resolves with the exit code. */
  run(values: OptionValues, io: CommandIO): Promise<number>;
}

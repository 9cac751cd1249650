/**
 * Command-line parsing for subcommands: `node:util` parseArgs (strict: an unknown or malformed
 * option is a usage error), typed readers for numbers and choices, and the help text.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../cli-errors.js';
import type { Command, CommandOption, OptionValues } from './command.js';

export const HELP_OPTION: CommandOption = { type: 'boolean', short: 'h', description: 'show this help' };

export function parseCommandOptions(command: Command, args: string[]): OptionValues {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, help: HELP_OPTION }).map(([name, option]) => [
      name,
      { type: option.type, ...(option.short ? { short: option.short } : {}), ...(option.multiple ? { multiple: true } : {}) },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, command.name);
    return values as OptionValues;
  } catch (error) {
    if (error instanceof UsageError || !String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw error;
    // parseArgs' messages say what is wrong ("Unknown option '--x'"); keep the first sentence.
    throw new UsageError(`${(error as Error).message.split('. ')[0]!.replace(/\.$/, '')}`, command.name);
  }
}

export function requireString(values: OptionValues, name: string, command: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`, command);
  return value;
}

export function optionalString(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function optionalNumber(values: OptionValues, name: string, command: string, range: { min: number; max: number; integer?: boolean }): number | undefined {
  const text = optionalString(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (range.integer && !Number.isInteger(value)) || value < range.min || value > range.max) {
    const kind = range.integer ? 'an integer' : 'a number';
    throw new UsageError(`--${name} must be ${kind} from ${range.min} to ${range.max}; got "${text}"`, command);
  }
  return value;
}

export function optionalChoice<T extends string>(values: OptionValues, name: string, choices: readonly T[], command: string): T | undefined {
  const text = optionalString(values, name);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got "${text}"`, command);
  return text as T;
}

export function formatCommandHelp(command: Command): string {
  const entries = Object.entries({ ...command.options, help: HELP_OPTION }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` <${option.placeholder ?? 'value'}>` : ''}`;
    const suffix = [option.multiple ? 'repeatable' : '', option.defaultText ? `default ${option.defaultText}` : ''].filter(Boolean).join('; ');
    return [flag, `${option.description}${suffix ? ` (${suffix})` : ''}`] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length)) + 2;
  const lines = [`${command.summary}`, '', `Usage: ${command.usage}`, '', 'Options:', ...entries.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`)];
  if (command.details) lines.push('', command.details.trimEnd());
  return `${lines.join('\n')}\n`;
}

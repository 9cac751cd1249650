/**
 * The registry of `cria` subcommands, in the order the help lists them. A new command (train,
 * distill, eval, bench, convert, ...) is one file implementing `Command` and one line here.
 */
import { chatCommand } from './chat-command.js';
import type { Command } from './command.js';
import { generateCommand } from './generate-command.js';
import { serveCommand } from './serve-command.js';
import { trainCommand } from './train-command.js';

export const COMMANDS: readonly Command[] = [generateCommand, chatCommand, serveCommand, trainCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

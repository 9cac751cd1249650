/**
 * The `cria` command's entry point: global flags (--help, --version), dispatch to a subcommand from
 * the registry, and the one place errors become a message and an exit code.
 */
import { setFlagsFromString } from 'node:v8';
import packageJson from '../package.json' with { type: 'json' };
import { CliError, formatError } from './cli-errors.js';
import type { CommandIO } from './commands/command.js';
import { formatCommandHelp, parseCommandOptions } from './commands/command-options.js';
import { COMMANDS, findCommand } from './commands/index.js';

// The wasm backend's fastest kernels use relaxed SIMD, behind a flag in Node 20. A shebang cannot
// portably pass flags; setting it before any module is compiled has the same effect, and newer
// Nodes that ship relaxed SIMD ignore it.
setFlagsFromString('--experimental-wasm-relaxed-simd');

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  return `cria ${packageJson.version}: run small language models with WebGPU and WebAssembly.

Usage: cria <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`).join('\n')}

Run \`cria <command> --help\` for a command's options.
Global options: -h, --help   -v, --version
`;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' && args[0] ? findCommand(args[0]) : undefined;
      io.stdout.write(topic ? formatCommandHelp(topic) : mainHelp());
      return 0;
    }
    if (name === '-v' || name === '--version') {
      io.stdout.write(`${packageJson.version}\n`);
      return 0;
    }
    const command = findCommand(name);
    if (!command) {
      const kind = name.startsWith('-') ? 'option' : 'command';
      throw new CliError(`unknown ${kind} "${name}"; commands: ${COMMANDS.map((known) => known.name).join(', ')}`, 'run `cria --help` for usage', 2);
    }
    const values = parseCommandOptions(command, args);
    if (values.help) {
      io.stdout.write(formatCommandHelp(command));
      return 0;
    }
    return await command.run(values, io);
  } catch (error) {
    io.stderr.write(`${formatError(error, Boolean(io.env.CRIA_DEBUG))}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

const io: CommandIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
const exitCode = await main(process.argv.slice(2), io);
// Exit explicitly: a backend's worker threads or a GPU device must not keep a finished command alive.
// Wait for stdout to drain first, so piped output is never cut short.
process.stdout.write('', () => process.exit(exitCode));

/**
 * What the `cria` command reports when it cannot go on: one line that says what happened, one that
 * says what to do, and an exit code (1: the work failed, 2: the command line was wrong).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint: string | undefined = undefined,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A wrong command line: exit code 2, and the hint points at `--help`. */
export class UsageError extends CliError {
  constructor(message: string, command?: string) {
    super(message, `run \`cria ${command ? `${command} ` : ''}--help\` for usage`, 2);
  }
}

/**
 * Formats any error for the terminal. Errors from the runtime keep their own hint (model-format
 * errors carry `hint`; engine errors put the advice in the message); anything else is unexpected,
 * so its stack is shown when CRIA_DEBUG is set.
 */
export function formatError(error: unknown, debug = false): string {
  if (error instanceof CliError) return withHint(error.message, error.hint);
  if (error instanceof Error) {
    const [firstLine, ...rest] = error.message.split('\n');
    const ownHint = (error as Error & { hint?: unknown }).hint;
    const hint = typeof ownHint === 'string' ? ownHint : rest.find((line) => /^hint:/i.test(line))?.replace(/^hint:\s*/i, '');
    const text = withHint(firstLine ?? error.name, hint);
    return debug && error.stack ? `${text}\n${error.stack}` : text;
  }
  return withHint(String(error), undefined);
}

function withHint(message: string, hint: string | undefined): string {
  return `cria: error: ${message}${hint ? `\n  hint: ${hint}` : ''}`;
}

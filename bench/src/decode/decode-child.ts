import type { ChildRequest, ChildResult } from './child-protocol.js';
import { runCria } from './cria-runner.js';
import { runLlamaCpp } from './llama-cpp-runner.js';

/**
 * Entry of one child process (bundled by spawn-child.ts): reads a ChildRequest (JSON) from argv[2],
 * runs it, and writes the ChildResult as the last line of stdout. Progress goes to stderr.
 */
async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]!) as ChildRequest;
  const result: ChildResult = request.impl === 'llama.cpp' ? await runLlamaCpp(request) : await runCria(request);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

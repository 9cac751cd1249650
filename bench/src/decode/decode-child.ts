import { createInterface } from 'node:readline';
import type { ChildMessage, ChildRequest, ParentCommand } from './child-protocol.js';
import { prepareCria } from './cria-runner.js';
import { prepareLlamaCpp } from './llama-cpp-runner.js';

/**
 * Entry of one child process (bundled by spawn-child.ts): reads a ChildRequest (JSON) from argv[2],
 * loads and warms up, then runs one timed repetition per `run` line on stdin until `finish`
 * (protocol in child-protocol.ts). Progress goes to stderr. A parent that goes away (stdin closes)
 * ends the child too.
 */
function send(message: ChildMessage): void {
  process.stdout.write(`\n${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]!) as ChildRequest;
  const prepared = request.impl === 'llama.cpp' ? await prepareLlamaCpp(request) : await prepareCria(request);
  if (!('run' in prepared)) return send({ type: 'result', result: prepared });
  send({ type: 'ready' });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = line.trim() as ParentCommand;
    if (command === 'run') send({ type: 'repetition', ...(await prepared.run()) });
    else if (command === 'finish') return send({ type: 'result', result: await prepared.finish() });
    else if (command) throw new Error(`decode child: unknown command ${JSON.stringify(line)}`);
  }
  throw new Error('decode child: the parent closed stdin before `finish`');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

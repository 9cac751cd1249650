import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildRequest } from './child-protocol.js';
import { DecodeChild } from './spawn-child.js';

/** The parent's side of the protocol against stand-in children that follow it, crash, or hang. */
const directory = mkdtempSync(join(tmpdir(), 'cria-decode-child-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const request: ChildRequest = { impl: 'cria-wasm', modelPath: 'unused', threads: 2, prompt: [1], generate: 1, contextSize: 8, kvValuesPerPosition: 1 };

/** A child script: `onRun` is the body run for each `run` command (after `ready`). */
function fakeChild(name: string, onRun: string): string {
  const path = join(directory, `${name}.mjs`);
  writeFileSync(
    path,
    `import { createInterface } from 'node:readline';
const send = (message) => process.stdout.write(JSON.stringify(message) + '\\n');
console.log('a library printing to stdout');
send({ type: 'ready' });
let runs = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'run') { runs++; ${onRun} }
  if (line === 'finish') { send({ type: 'result', result: { impl: 'cria-wasm', runs } }); process.exit(0); }
}
`,
  );
  return path;
}

const start = (script: string, timeoutMs = 10_000) => new DecodeChild(script, process.env, request, { timeoutMs, log: () => {} });

describe('DecodeChild', () => {
  it('runs one repetition per call and returns the summary', async () => {
    const child = start(fakeChild('good', "send({ type: 'repetition', prefillMs: runs, decodeMs: 2 * runs });"));
    expect(await child.ready()).toBe('ready');
    expect(await child.repetition()).toEqual({ prefillMs: 1, decodeMs: 2 });
    expect(await child.repetition()).toEqual({ prefillMs: 2, decodeMs: 4 });
    expect(await child.finish()).toMatchObject({ runs: 2 });
  });

  it('rejects with the exit code and the last stderr lines when the child crashes mid-run', async () => {
    const child = start(fakeChild('crash', "process.stderr.write('out of memory\\n'); process.exit(3);"));
    expect(await child.ready()).toBe('ready');
    await expect(child.repetition()).rejects.toThrow('cria-wasm child exited with 3: out of memory');
    await expect(child.finish()).rejects.toThrow('exited with 3');
  });

  it('kills a child that does not answer within the limit', async () => {
    const child = start(fakeChild('hang', 'await new Promise(() => setInterval(() => {}, 1000));'), 1_000);
    expect(await child.ready()).toBe('ready');
    const started = performance.now();
    await expect(child.repetition()).rejects.toThrow('cria-wasm child killed after the 1 s limit');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects a child that answers out of turn', async () => {
    const child = start(fakeChild('rude', "send({ type: 'ready' });"));
    expect(await child.ready()).toBe('ready');
    await expect(child.repetition()).rejects.toThrow('answered ready out of turn');
  });
});

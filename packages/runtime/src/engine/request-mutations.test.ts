// Mutation tests of the engine API as JavaScript callers reach it (no HTTP layer in front): valid
// requests with one field swapped for a value of another kind, an edge number, or removed, must
// each complete or be refused with a typed error (EngineError: InvalidRequestError,
// ContextLengthExceededError, ...; or a tokenizer error) — never a TypeError from inside.
import { TokenizerError } from '@cria/tokenizer';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutateJson } from '../formats/test-model/mutate-json.js';
import { SeededRandom } from '../formats/test-model/seeded-random.js';
import { writeTestModels, type TestModelFiles } from '../testing/test-model-files.js';
import type { Engine } from './api-types.js';
import { createEngine } from './create-engine.js';
import { EngineError } from './engine-errors.js';

let files: TestModelFiles;
let engine: Engine;

beforeAll(async () => {
  files = await writeTestModels();
  engine = await createEngine({ model: join(files.llama, 'model-q8_0.gguf'), backend: 'reference', contextLength: 256 });
});
afterAll(async () => {
  await engine?.dispose();
  await files?.remove();
});

const ROUNDS = Number(process.env.CRIA_MUTATION_ROUNDS ?? 150);

/** Every sampling field set to a valid value, so each can be mutated. */
const SAMPLING = {
  max_tokens: 4,
  temperature: 0.7,
  top_p: 0.9,
  top_k: 5,
  min_p: 0.1,
  seed: 1,
  stop: ['zz', 'yy'],
  stop_token_ids: [3],
  logit_bias: { '5': 1 },
  logprobs: true,
  top_logprobs: 2,
  presence_penalty: 0.1,
  frequency_penalty: 0.1,
  repetition_penalty: 1.1,
};

type Call = (request: unknown) => Promise<unknown>;
/** Reads a stream to its end; a mutation that removed `stream: true` gets a plain completion. */
const drain = async (answer: unknown) => {
  if (answer && typeof answer === 'object' && Symbol.asyncIterator in answer) for await (const _ of answer as AsyncIterable<unknown>);
};

const CASES: [string, Record<string, unknown>, Call][] = [
  ['chat.completions.create', { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], ...SAMPLING }, (request) => engine.chat.completions.create(request as never)],
  ['chat.completions.create (stream)', { messages: [{ role: 'user', content: 'hi' }], stream: true, ...SAMPLING }, async (request) => drain(await engine.chat.completions.create(request as never))],
  ['completions.create', { prompt: 'once upon', ...SAMPLING }, (request) => engine.completions.create(request as never)],
];

describe('mutated engine requests', () => {
  it('refuses engine options and request fields of the wrong kind before using them', async () => {
    const model = join(files.llama, 'model-q8_0.gguf');
    for (const options of [{ onProgress: 5 }, { signal: {} }, { contextLength: 0 }, { kvCacheType: 'q8' }]) {
      await expect(createEngine({ model, backend: 'reference', ...options } as never)).rejects.toBeInstanceOf(EngineError);
    }
    await expect(engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], signal: 'stop' } as never)).rejects.toThrow(/'signal' must be an AbortSignal/);
  });

  it.each(CASES)(`${ROUNDS} mutations of a %s request: an answer or a typed refusal`, async (name, base, call) => {
    await call(base); // the unmutated request is valid
    const random = new SeededRandom(name.length * 104729);
    const untyped: string[] = [];
    let refused = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const mutation = mutateJson(random, base);
      try {
        await call(mutation.value);
      } catch (error) {
        if (error instanceof EngineError || error instanceof TokenizerError) refused++;
        else untyped.push(`${mutation.describe} → ${(error as Error).constructor.name}: ${(error as Error).message}`);
      }
    }
    expect(untyped).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    await call(base); // and the engine still answers
  });
});

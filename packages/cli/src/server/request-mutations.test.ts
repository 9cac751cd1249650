// Mutation tests of the HTTP API against a real engine (the project's tiny model): valid requests
// with one field swapped for a value of another kind, an edge number, a long string, or deleted,
// must each get a 200 with a complete answer or a 4xx with an OpenAI error body naming the field —
// never a 500, a hang, or a server that stops answering.
import { createEngine, JSON_EDGE_VALUES, mutateJson, SeededRandom, type JsonMutation } from '@cria/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel, type TinyModel } from '../../test/spawn-cli.js';
import type { Engine } from '../engine-types.js';
import { CriaServer } from './http-server.js';

let model: TinyModel;
let engine: Engine;
let server: CriaServer;
let url: string;

beforeAll(async () => {
  model = makeTinyModel();
  // A short context keeps the longest generation a mutation can ask for (max_tokens 2^53) short.
  engine = await createEngine({ model: model.gguf, backend: 'reference', contextLength: 256 });
  server = new CriaServer({ engine, log: () => {} });
  const { port } = await server.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${port}`;
}, 120_000);
afterAll(async () => {
  await server?.close({ graceMs: 0 });
  await engine?.dispose();
  model?.remove();
});

const ROUNDS = Number(process.env.CRIA_MUTATION_ROUNDS ?? 120);
const REQUEST_MS = 30_000;

/** A request with every field the server reads set to a valid value. */
const CHAT = {
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: [{ type: 'text', text: 'hello ' }, { type: 'text', text: 'there' }] },
    { role: 'assistant', content: 'hi' },
    { role: 'user', content: 'say more' },
  ],
  max_tokens: 6,
  temperature: 0.7,
  top_p: 0.9,
  top_k: 20,
  min_p: 0.05,
  repetition_penalty: 1.1,
  frequency_penalty: 0.5,
  presence_penalty: 0.5,
  seed: 3,
  logprobs: true,
  top_logprobs: 2,
  stop: ['\n\n', 'zz'],
  stop_token_ids: [2],
  logit_bias: { '5': 2, '7': -100 },
  stream: false,
  stream_options: null,
  n: 1,
  response_format: { type: 'text' },
};
const COMPLETION = { prompt: 'once upon a time', max_tokens: 6, temperature: 0, logprobs: 2, stop: 'zz', seed: 1, logit_bias: { '9': 5 }, best_of: 1 };

/** Fields a client may add that the server refuses (tools, echo, ...) or reads (stream, ...). */
const ADDED_FIELDS = ['tools', 'echo', 'suffix', 'user', 'functions', 'best_of', 'stream', 'max_completion_tokens', 'stream_options'];

/** The request with one field changed or removed (mutateJson), or one time in twelve a field added. */
function mutate(random: SeededRandom, base: Record<string, unknown>): JsonMutation {
  if (random.uniform() >= 0.08) return mutateJson(random, base);
  const key = ADDED_FIELDS[Math.floor(random.uniform() * ADDED_FIELDS.length)]!;
  const value = JSON_EDGE_VALUES[Math.floor(random.uniform() * JSON_EDGE_VALUES.length)];
  return { describe: `${key} added as ${JSON.stringify(value)?.slice(0, 40)}`, value: { ...base, [key]: value } };
}

/** The server's answer to one request: its status, and the parsed body (SSE events for a stream). */
async function send(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_MS),
  });
  return { status: response.status, text: await response.text() };
}

/** What is wrong with an answer, or undefined when it is a complete 200 or a well-formed 4xx. */
function problem({ status, text }: { status: number; text: string }): string | undefined {
  if (status === 200) {
    if (text.startsWith('data:')) return text.trimEnd().endsWith('data: [DONE]') ? undefined : `a stream that does not end with [DONE]: ${text.slice(-120)}`;
    const body = JSON.parse(text) as { choices?: unknown[]; usage?: unknown };
    return Array.isArray(body.choices) && body.choices.length === 1 && body.usage ? undefined : `a 200 without one choice and usage: ${text.slice(0, 200)}`;
  }
  if (status < 400 || status >= 500) return `status ${status}: ${text.slice(0, 300)}`;
  const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
  return typeof body.error?.message === 'string' && typeof body.error.type === 'string' ? undefined : `a ${status} without an OpenAI error body: ${text.slice(0, 200)}`;
}

describe('mutated requests to a server over a real engine', () => {
  it.each([
    ['a chat completion', '/v1/chat/completions', CHAT],
    ['a streamed chat completion', '/v1/chat/completions', { ...CHAT, stream: true, stream_options: { include_usage: true } }],
    ['a text completion', '/v1/completions', COMPLETION],
  ])(`${ROUNDS} mutations of %s: a complete 200 or a 4xx error body, never a 500 or a hang`, async (label, path, base) => {
    const random = new SeededRandom(label.length * 7919);
    const valid = await send(path, base);
    expect(valid.status, valid.text).toBe(200);
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < ROUNDS; i++) {
      const mutated = mutate(random, base);
      const answer = await send(path, mutated.value).catch((error: Error) => ({ status: 0, text: `${error.name}: ${error.message}` }));
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const wrong = answer.status === 0 ? answer.text : problem(answer);
      if (wrong) problems.push(`${mutated.describe} → ${wrong}`);
    }
    if (process.env.CRIA_MUTATION_LOG) console.error(label, [...statuses]);
    expect(problems).toEqual([]);
    // Both kinds of answer were exercised, and the server still answers.
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect((await send(path, base)).status).toBe(200);
  });
});

// End to end: `cria serve` as a child process with the real engine on a project-generated tiny
// Llama (reference backend), driven by fetch on loopback; then SIGTERM must shut it down with exit 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventStream, waitFor } from '../../test/http-client.js';
import { buildCli, makeTinyModel, runCli, startServe, type ServeProcess, type TinyModel } from '../../test/spawn-cli.js';

let model: TinyModel;
let serve: ServeProcess | undefined;
beforeAll(() => {
  buildCli();
  model = makeTinyModel();
});
afterAll(async () => {
  await serve?.stop('SIGKILL');
  model?.remove();
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test-key', ...headers },
  body: JSON.stringify(body),
});

describe('cria serve with the real engine', () => {
  it('serves models, chat and completions (plain and SSE), survives a disconnect, stops on SIGTERM with exit 0', async () => {
    serve = await startServe(['-m', model.gguf, '-b', 'reference', '--api-key', 'test-key', '--max-queue', '2']);
    const { url } = serve;
    // No --host: loopback only, and no warning about exposure.
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(serve.stderr()).not.toContain('warning');

    const models = await (await fetch(`${url}/v1/models`, { headers: { Authorization: 'Bearer test-key' } })).json();
    expect(models.data[0].id).toBe('model-q8_0.gguf');
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);

    const chat = await fetch(`${url}/v1/chat/completions`, json({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, temperature: 0 }));
    expect(chat.status).toBe(200);
    const answer = await chat.json();
    expect(answer).toMatchObject({ object: 'chat.completion', model: 'model-q8_0.gguf', usage: { completion_tokens: expect.any(Number) } });
    expect(answer.choices[0].message.role).toBe('assistant');

    // Greedy streaming gives the same text as greedy non-streaming.
    const streamed = await fetch(`${url}/v1/chat/completions`, json({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true } }));
    const { events, done } = await readEventStream(streamed);
    expect(done).toBe(true);
    expect(events.map((event) => event.choices[0]?.delta.content ?? '').join('')).toBe(answer.choices[0].message.content);
    expect(events.at(-1).usage.completion_tokens).toBe(answer.usage.completion_tokens);

    const completion = await (await fetch(`${url}/v1/completions`, json({ prompt: 'once upon', max_tokens: 4, temperature: 0 }))).json();
    expect(completion).toMatchObject({ object: 'text_completion', choices: [{ finish_reason: expect.stringMatching(/^(length|stop)$/) }] });

    // /v1/completions answers logprobs in OpenAI's legacy shape (the integer asks for alternatives).
    const withLogprobs = { prompt: 'once upon', max_tokens: 4, temperature: 0, logprobs: 2 };
    const legacy = (await (await fetch(`${url}/v1/completions`, json(withLogprobs))).json()).choices[0];
    const { tokens, token_logprobs, top_logprobs, text_offset } = legacy.logprobs;
    expect(tokens).toHaveLength(4);
    expect(text_offset).toEqual(tokens.map((_: string, i: number) => 'once upon'.length + tokens.slice(0, i).join('').length));
    tokens.forEach((token: string, i: number) => {
      expect(top_logprobs[i][token]).toBe(token_logprobs[i]); // greedy: the sampled token is the likeliest
      expect(Object.keys(top_logprobs[i]).length).toBeLessThanOrEqual(3);
    });
    const legacyStream = await readEventStream(await fetch(`${url}/v1/completions`, json({ ...withLogprobs, stream: true })));
    const streamedLogprobs = legacyStream.events.flatMap((event) => event.choices[0]?.logprobs?.tokens ?? []);
    expect(streamedLogprobs).toEqual(tokens);
    expect(legacyStream.events.flatMap((event) => event.choices[0]?.logprobs?.text_offset ?? [])).toEqual(text_offset);

    const tooLong = await fetch(`${url}/v1/chat/completions`, json({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 100_000 }));
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).error.code).toBe('context_length_exceeded');

    // A client that leaves mid-stream: the server aborts the generation and serves the next request.
    const controller = new AbortController();
    const long = await fetch(`${url}/v1/completions`, { ...json({ prompt: 'a', max_tokens: 200, temperature: 1, seed: 1, stream: true }), signal: controller.signal });
    const reader = long.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor(() => /\/v1\/completions 200 stream .*\(client closed\)/.test(serve!.stderr()), 10_000);
    // Logged once the engine stopped: it generated far fewer than the 200 tokens asked for.
    const generated = Number(/\/v1\/completions 200 stream \d+\+(\d+) tok .*\(client closed\)/.exec(serve.stderr())![1]);
    expect(generated).toBeLessThan(100);
    const next = await fetch(`${url}/v1/completions`, json({ prompt: 'again', max_tokens: 2 }));
    expect(next.status).toBe(200);

    // Concurrent clients take turns on the one KV cache and all get their answer.
    const concurrent = await Promise.all(
      [1, 2, 3].map((seed) => fetch(`${url}/v1/chat/completions`, json({ messages: [{ role: 'user', content: `client ${seed}` }], max_tokens: 6, seed }))),
    );
    expect(concurrent.map((response) => response.status)).toEqual([200, 200, 200]);

    expect(serve.stderr()).toMatch(/POST \/v1\/chat\/completions 200 \d+\+\d+ tok \d+ ms/);
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(serve.stderr()).toContain('SIGTERM: shutting down');
    expect(serve.stderr()).toMatch(/stopped\n$/);
    serve = undefined;
  });

  it('exits 1 with a hint when the port is taken', async () => {
    serve = await startServe(['-m', model.hf, '-b', 'reference']);
    const port = new URL(serve.url).port;
    const second = await runCli(['serve', '-m', model.hf, '-b', 'reference', '--port', port]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(second.stderr).toContain('hint: pass another --port');
    expect(await serve.stop('SIGINT')).toBe(0);
    serve = undefined;
  });

  it('warns when it listens beyond loopback without --api-key', async () => {
    serve = await startServe(['-m', model.hf, '-b', 'reference', '--host', '0.0.0.0']);
    await waitFor(() => serve!.stderr().includes('warning'), 5_000);
    expect(serve.stderr()).toContain('warning: listening on 0.0.0.0 without --api-key: anyone who can reach this address can use the model');
    expect(await serve.stop('SIGTERM')).toBe(0);
    serve = undefined;
  });
});

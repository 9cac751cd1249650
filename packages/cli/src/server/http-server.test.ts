// Routes, request validation, error bodies and bearer auth, over real HTTP on a loopback port.
import { afterEach, describe, expect, it } from 'vitest';
import { postChunked, startTestServer, type TestServer } from '../../test/http-client.js';

let current: TestServer | undefined;
async function start(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  current = await startTestServer(...args);
  return current;
}
afterEach(async () => {
  await current?.server.close({ graceMs: 0 });
  current = undefined;
});

async function expectError(response: Response, status: number, code: string, param: string | null = null) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await response.json();
  expect(body).toEqual({ error: { message: expect.any(String), type: expect.any(String), param, code } });
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

const chat = { messages: [{ role: 'user', content: 'hello there' }] };

describe('routes', () => {
  it('answers a chat completion', async () => {
    const { post } = await start();
    const response = await post('/v1/chat/completions', { ...chat, model: 'scripted-model', max_tokens: 10 });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message).toEqual({ role: 'assistant', content: 'echo: hello there' });
    expect(body.choices[0].finish_reason).toBe('stop');
    expect(body.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
  });

  it('answers a text completion and passes sampling fields to the engine', async () => {
    const { post } = await start();
    const response = await post('/v1/completions', { prompt: 'one two three', max_tokens: 2, temperature: 0, seed: 7 });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.object).toBe('text_completion');
    expect(body.choices[0]).toMatchObject({ text: 'echo: one', finish_reason: 'length' });
  });

  it('accepts text content parts and max_completion_tokens', async () => {
    const { post } = await start();
    const response = await post('/v1/chat/completions', { messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }], max_completion_tokens: 5 });
    expect((await response.json()).choices[0].message.content).toBe('echo: ab');
  });

  it('lists the model, gets it by id, reports health', async () => {
    const { url } = await start({ id: 'tiny/llama' });
    const models = await (await fetch(`${url}/v1/models`)).json();
    expect(models).toEqual({ object: 'list', data: [{ id: 'tiny/llama', object: 'model', created: expect.any(Number), owned_by: 'cria' }] });
    expect((await (await fetch(`${url}/v1/models/tiny%2Fllama`)).json()).id).toBe('tiny/llama');
    await expectError(await fetch(`${url}/v1/models/other`), 404, 'model_not_found', 'model');
    const health = await (await fetch(`${url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', model: 'tiny/llama', queue: { running: 0, waiting: 0, capacity: 16 } });
  });

  it('404 on an unknown route, 405 with Allow on a wrong method', async () => {
    const { url } = await start();
    await expectError(await fetch(`${url}/v1/nothing`), 404, 'unknown_url');
    const response = await fetch(`${url}/v1/chat/completions`);
    expect(response.headers.get('allow')).toBe('POST');
    await expectError(response, 405, 'method_not_allowed');
    await expectError(await fetch(`${url}/v1/models`, { method: 'DELETE' }), 405, 'method_not_allowed');
  });

  it('logs one record per request', async () => {
    const { post, logs } = await start();
    await (await post('/v1/chat/completions', chat)).json();
    await (await post('/v1/chat/completions', '{')).json();
    expect(logs).toEqual([
      expect.objectContaining({ method: 'POST', path: '/v1/chat/completions', status: 200, promptTokens: 2, completionTokens: 3 }),
      expect.objectContaining({ status: 400 }),
    ]);
  });
});

describe('request validation', () => {
  it('400 on invalid JSON and on a JSON body that is not an object', async () => {
    const { post } = await start();
    await expectError(await post('/v1/chat/completions', '{"messages": ['), 400, 'invalid_json');
    await expectError(await post('/v1/chat/completions', '[1, 2]'), 400, 'invalid_json');
  });

  it('415 on a wrong or missing content type', async () => {
    const { url } = await start();
    const form = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect((await expectError(form, 415, 'unsupported_media_type')).message).toContain('Content-Type: application/json');
    const blob = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: new Blob([JSON.stringify(chat)]) });
    await expectError(blob, 415, 'unsupported_media_type');
  });

  it('413 on a body over the limit, declared or chunked, and the server keeps serving', async () => {
    const { post, port } = await start({}, { bodyLimitBytes: 4096 });
    const big = JSON.stringify({ ...chat, padding: 'x'.repeat(10_000) });
    await expectError(await post('/v1/chat/completions', big), 413, 'request_too_large');
    const chunked = await postChunked(port, '/v1/chat/completions', ['{"messages":[], "padding": "', 'y'.repeat(3000), 'y'.repeat(3000), '"}']);
    expect(chunked.status).toBe(413);
    expect(chunked.body.error.code).toBe('request_too_large');
    expect((await post('/v1/chat/completions', chat)).status).toBe(200);
  });

  it('413 at the default 1 MiB limit', async () => {
    const { post } = await start();
    const response = await post('/v1/completions', { prompt: 'x'.repeat(1024 * 1024 + 10) });
    await expectError(response, 413, 'request_too_large');
  });

  it.each([
    [{}, 'messages', 'missing_required_parameter'],
    [{ messages: [] }, 'messages', 'invalid_type'],
    [{ messages: 'hi' }, 'messages', 'invalid_type'],
    [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    [{ messages: [{ role: 'user' }] }, 'messages[0].content', 'missing_required_parameter'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, 'messages[0].content[0]', 'invalid_value'],
    [{ ...chat, temperature: 3 }, 'temperature', 'invalid_value'],
    [{ ...chat, temperature: 'hot' }, 'temperature', 'invalid_type'],
    [{ ...chat, max_tokens: 0 }, 'max_tokens', 'invalid_value'],
    [{ ...chat, max_tokens: 1.5 }, 'max_tokens', 'invalid_type'],
    [{ ...chat, top_p: -0.1 }, 'top_p', 'invalid_value'],
    [{ ...chat, stream: 'yes' }, 'stream', 'invalid_type'],
    [{ ...chat, stop: [1] }, 'stop', 'invalid_type'],
    [{ ...chat, logit_bias: { abc: 1 } }, 'logit_bias', 'invalid_value'],
    [{ ...chat, logit_bias: { '5': 500 } }, 'logit_bias', 'invalid_value'],
    [{ ...chat, top_logprobs: 21 }, 'top_logprobs', 'invalid_value'],
    [{ ...chat, n: 2 }, 'n', 'unsupported_parameter'],
    [{ ...chat, tools: [{ type: 'function' }] }, 'tools', 'unsupported_parameter'],
    [{ ...chat, response_format: { type: 'json_object' } }, 'response_format', 'unsupported_parameter'],
    [{ ...chat, model: 42 }, 'model', 'invalid_type'],
  ])('400 with param for chat body %j', async (body, param, code) => {
    const { post } = await start();
    await expectError(await post('/v1/chat/completions', body), 400, code, param);
  });

  it.each([
    [{}, 'prompt', 'missing_required_parameter'],
    [{ prompt: ['a', 'b'] }, 'prompt', 'invalid_type'],
    [{ prompt: 'a', echo: true }, 'echo', 'unsupported_parameter'],
    [{ prompt: 'a', logprobs: 30 }, 'logprobs', 'invalid_value'],
  ])('400 with param for completion body %j', async (body, param, code) => {
    const { post } = await start();
    await expectError(await post('/v1/completions', body), 400, code, param);
  });

  it('404 for an unknown model name', async () => {
    const { post } = await start();
    const error = await expectError(await post('/v1/chat/completions', { ...chat, model: 'gpt-4o' }), 404, 'model_not_found', 'model');
    expect(error.message).toContain('scripted-model');
  });

  it('maps the engine errors to their status and body', async () => {
    const { post } = await start();
    const response = await post('/v1/chat/completions', { messages: [{ role: 'user', content: '[context-overflow]' }] });
    await expectError(response, 400, 'context_length_exceeded', 'messages');
    const streamed = await post('/v1/chat/completions', { messages: [{ role: 'user', content: '[context-overflow]' }], stream: true });
    await expectError(streamed, 400, 'context_length_exceeded', 'messages');
  });
});

describe('bearer auth', () => {
  it('401 without or with a wrong key, 200 with the right one; /health stays open', async () => {
    const { post, url } = await start({}, { apiKey: 'sekret-key' });
    const missing = await post('/v1/chat/completions', chat);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(missing, 401, 'invalid_api_key');
    await expectError(await post('/v1/chat/completions', chat, { Authorization: 'Bearer sekret-kez' }), 401, 'invalid_api_key');
    await expectError(await post('/v1/chat/completions', chat, { Authorization: 'Basic c2VrcmV0LWtleQ==' }), 401, 'invalid_api_key');
    await expectError(await fetch(`${url}/v1/models`), 401, 'invalid_api_key');
    expect((await post('/v1/chat/completions', chat, { Authorization: 'Bearer sekret-key' })).status).toBe(200);
    expect((await fetch(`${url}/v1/models`, { headers: { Authorization: 'bearer sekret-key' } })).status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});

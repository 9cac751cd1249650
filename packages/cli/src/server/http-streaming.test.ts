// Server-sent events, client disconnects, the bounded queue and graceful shutdown, over real HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { readEventStream, startTestServer, waitFor, type TestServer } from '../../test/http-client.js';

let current: TestServer | undefined;
async function start(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  current = await startTestServer(...args);
  return current;
}
afterEach(async () => {
  await current?.server.close({ graceMs: 0 });
  current = undefined;
});

const say = (content: string, extra: object = {}) => ({ messages: [{ role: 'user', content }], ...extra });

describe('streaming', () => {
  it('streams chat chunks as server-sent events, one per token, then [DONE]', async () => {
    const { post } = await start();
    const response = await post('/v1/chat/completions', say('a b c', { stream: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toContain('no-cache');
    const { events, done } = await readEventStream(response);
    expect(done).toBe(true);
    expect(events.map((event) => event.choices[0].delta.content ?? '').join('')).toBe('echo: a b c');
    expect(events[0].choices[0].delta.role).toBe('assistant');
    expect(events.at(-1).choices[0].finish_reason).toBe('stop');
    expect(events.every((event) => event.object === 'chat.completion.chunk' && event.usage === undefined)).toBe(true);
  });

  it('sends usage in a last chunk without choices when stream_options.include_usage is set', async () => {
    const { post, logs } = await start();
    const response = await post('/v1/chat/completions', say('a b', { stream: true, stream_options: { include_usage: true } }));
    const { events } = await readEventStream(response);
    const last = events.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3 });
    await waitFor(() => logs.length === 1);
    expect(logs[0]).toMatchObject({ status: 200, stream: true, completionTokens: 3 });
  });

  it('streams text completions', async () => {
    const { post } = await start();
    const { events, done } = await readEventStream(await post('/v1/completions', { prompt: 'x y z', stream: true, max_tokens: 3 }));
    expect(done).toBe(true);
    expect(events.map((event) => event.choices[0].text).join('')).toBe('echo: x y');
    expect(events.at(-1).choices[0].finish_reason).toBe('length');
  });

  it('flushes each token as it is generated', async () => {
    const { post } = await start({ tokenDelayMs: 40 });
    const arrivals: number[] = [];
    const started = performance.now();
    await readEventStream(await post('/v1/chat/completions', say('1 2 3 4', { stream: true })), () => arrivals.push(performance.now() - started));
    // 5 tokens 40 ms apart: the first arrives long before the last.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(120);
  });

  it('reports an engine failure after the headers in-band and keeps serving', async () => {
    const { post } = await start();
    const { events, done } = await readEventStream(await post('/v1/chat/completions', say('[fail-mid-stream] a b', { stream: true })));
    expect(done).toBe(false);
    expect(events.at(-1)).toEqual({ error: expect.objectContaining({ type: 'server_error', code: 'internal_error' }) });
    expect((await post('/v1/chat/completions', say('ok'))).status).toBe(200);
  });
});

describe('client disconnect', () => {
  it('aborts the generation mid-stream and frees the slot for the next request', async () => {
    const { post, engine, server, logs } = await start({ tokenDelayMs: 30 });
    const controller = new AbortController();
    const response = await post('/v1/chat/completions', say(Array(200).fill('w').join(' '), { stream: true }), {}, controller.signal);
    const reader = response.body!.getReader();
    await reader.read(); // the first token arrived
    controller.abort();
    await waitFor(() => engine.requests[0]!.finishReason !== undefined);
    expect(engine.requests[0]).toMatchObject({ sawAbort: true, finishReason: 'abort' });
    await waitFor(() => server.queue.running === 0);
    const next = await post('/v1/chat/completions', say('next'));
    expect((await next.json()).choices[0].message.content).toBe('echo: next');
    expect(logs[0]).toMatchObject({ status: 200, note: 'client closed' });
  });

  it('aborts a non-streaming generation when the client goes away', async () => {
    const { post, engine } = await start({ tokenDelayMs: 30 });
    const controller = new AbortController();
    const pending = post('/v1/chat/completions', say(Array(200).fill('w').join(' ')), {}, controller.signal);
    await waitFor(() => engine.running === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => engine.requests[0]!.finishReason !== undefined);
    expect(engine.requests[0]).toMatchObject({ sawAbort: true, finishReason: 'abort' });
  });
});

describe('queue', () => {
  it('runs one generation at a time, queues the rest, answers 429 with Retry-After when full', async () => {
    const { post, engine, server } = await start({ tokenDelayMs: 20 }, { maxQueue: 2 });
    const words = (n: number) => Array(n).fill('w').join(' ');
    const accepted = [post('/v1/chat/completions', say(words(10))), post('/v1/chat/completions', say(words(3))), post('/v1/chat/completions', say(words(3)))];
    await waitFor(() => server.queue.waiting === 2);
    const refused = await post('/v1/chat/completions', say('one too many'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await refused.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });

    const responses = await Promise.all(accepted);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(engine.maxConcurrent).toBe(1);
    // First in, first out.
    expect(engine.requests.map((request) => request.prompt.split(' ').length)).toEqual([10, 3, 3]);
  });

  it('a queued request whose client leaves never reaches the engine', async () => {
    const { post, engine, server } = await start({ tokenDelayMs: 20 });
    const first = post('/v1/chat/completions', say('a b c d e'));
    await waitFor(() => server.queue.running === 1);
    const controller = new AbortController();
    const queued = post('/v1/chat/completions', say('never'), {}, controller.signal);
    await waitFor(() => server.queue.waiting === 1);
    controller.abort();
    await expect(queued).rejects.toThrow();
    await waitFor(() => server.queue.waiting === 0);
    expect((await first).status).toBe(200);
    expect(engine.requests.map((request) => request.prompt)).toEqual(['a b c d e']);
  });

  it('with --max-queue 0 a busy server refuses at once', async () => {
    const { post, server } = await start({ tokenDelayMs: 20 }, { maxQueue: 0 });
    const first = post('/v1/chat/completions', say('a b c'));
    await waitFor(() => server.queue.running === 1);
    expect((await post('/v1/completions', { prompt: 'x' })).status).toBe(429);
    expect((await first).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('lets the running generation finish, answers queued requests 503, refuses new connections', async () => {
    const { post, server, url } = await start({ tokenDelayMs: 20 });
    const running = post('/v1/chat/completions', say('a b c d', { stream: true }));
    await waitFor(() => server.queue.running === 1);
    const queued = post('/v1/chat/completions', say('queued'));
    await waitFor(() => server.queue.waiting === 1);
    const closed = server.close({ graceMs: 5000 });
    const queuedResponse = await queued;
    expect(queuedResponse.status).toBe(503);
    expect((await queuedResponse.json()).error.code).toBe('shutting_down');
    const { events, done } = await readEventStream(await running);
    expect(done).toBe(true);
    expect(events.at(-1).choices[0].finish_reason).toBe('stop');
    await closed;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('aborts generations still running when the grace period ends', async () => {
    const { post, server, engine } = await start({ tokenDelayMs: 20 });
    const running = post('/v1/chat/completions', say(Array(500).fill('w').join(' '), { stream: true }));
    await waitFor(() => server.queue.running === 1);
    const started = performance.now();
    await server.close({ graceMs: 100 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(engine.requests[0]).toMatchObject({ sawAbort: true, finishReason: 'abort' });
    const { events } = await readEventStream(await running).catch(() => ({ events: [] as any[] }));
    if (events.length > 0) expect(events.at(-1).choices[0].finish_reason).toBe('abort');
  });
});

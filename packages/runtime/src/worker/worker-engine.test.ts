import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, Engine } from '../engine/api-types.js';
import { createEngine } from '../engine/create-engine.js';
import { ContextLengthExceededError, EngineUnavailableError, InvalidRequestError, ModelNotFoundError } from '../engine/engine-errors.js';
import { openModel } from '../loading/open-model.js';
import { writeTestModels, type TestModelFiles } from '../testing/test-model-files.js';
import { createWorkerEngine, type WorkerEngine } from './create-worker-engine.js';
import { serveEngine } from './serve-engine.js';
import type { MessageEndpoint } from './worker-protocol.js';

// The page ⇄ worker protocol over a MessageChannel: the same structured clone and transfer as a
// Web Worker, in one process (the browser e2e test in apps/demo runs it in a real worker).
function workerPair(): MessageEndpoint {
  const channel = new MessageChannel();
  serveEngine(channel.port2 as unknown as MessageEndpoint);
  return channel.port1 as unknown as MessageEndpoint;
}

let files: TestModelFiles;
let local: Engine;
let remote: WorkerEngine;
const MESSAGES = [{ role: 'user' as const, content: 'Hello there' }];

beforeAll(async () => {
  files = await writeTestModels();
  local = await createEngine({ model: join(files.llama, 'hf'), backend: 'reference', contextLength: 128 });
  const progress: number[] = [];
  remote = await createWorkerEngine(workerPair(), { model: join(files.llama, 'hf'), backend: 'reference', contextLength: 128, onProgress: (event) => progress.push(event.loadedBytes) });
  expect(progress.length).toBeGreaterThan(5);
});
afterAll(async () => {
  await local?.dispose();
  await remote?.dispose();
  await files?.remove();
});

describe('createWorkerEngine', () => {
  it('describes the same model and tokenizes on the page like the engine', () => {
    expect(remote.model).toEqual(local.model);
    expect(remote.tokenize('Hello there')).toEqual(local.tokenize('Hello there'));
    expect(remote.detokenize([40, 41, 42])).toBe(local.detokenize([40, 41, 42]));
  });

  it('gives the same completions, streamed or not, and the same logits', async () => {
    const request = { messages: MESSAGES, max_tokens: 8, temperature: 0 };
    const expected = await local.chat.completions.create(request);
    const got = await remote.chat.completions.create(request);
    expect(got.choices[0].message.content).toBe(expected.choices[0].message.content);
    expect(got.usage.completion_tokens).toBe(expected.usage.completion_tokens);

    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of await remote.chat.completions.create({ ...request, stream: true })) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0].delta.content ?? '').join('')).toBe(expected.choices[0].message.content);
    expect(chunks.at(-1)!.usage!.decode_tokens_per_second).toBeGreaterThan(0);

    const text = await remote.completions.create({ prompt: 'abc', max_tokens: 4, temperature: 0 });
    expect(text.choices[0].text).toBe((await local.completions.create({ prompt: 'abc', max_tokens: 4, temperature: 0 })).choices[0].text);

    const logits = await remote.logits([1, 2, 3]);
    expect(logits).toBeInstanceOf(Float32Array);
    expect(Array.from(logits)).toEqual(Array.from(await local.logits([1, 2, 3])));
  });

  it('cancels with an AbortSignal and when the loop is left early', async () => {
    const controller = new AbortController();
    const stream = await remote.chat.completions.create({ messages: MESSAGES, max_tokens: 100, temperature: 0, stream: true, signal: controller.signal });
    let last: ChatCompletionChunk | undefined;
    for await (const chunk of stream) {
      controller.abort();
      last = chunk;
    }
    expect(last!.choices[0].finish_reason).toBe('abort');

    for await (const _ of await remote.chat.completions.create({ messages: MESSAGES, max_tokens: 100, temperature: 0, stream: true })) break;
    // The worker ended that generation: the next request runs.
    expect((await remote.completions.create({ prompt: 'x', max_tokens: 2 })).choices[0].finish_reason).toBeDefined();
  });

  it('re-throws the engine errors as the same classes, with their fields', async () => {
    const tooLong = remote.chat.completions.create({ messages: MESSAGES, max_tokens: 1000 });
    await expect(tooLong).rejects.toBeInstanceOf(ContextLengthExceededError);
    await expect(tooLong).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded', contextLength: 128 });
    await expect(remote.chat.completions.create({ messages: [], max_tokens: 2 })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(createWorkerEngine(workerPair(), { model: join(files.directory, 'nope'), backend: 'reference' })).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('loads a GGUF (with the KV cache type asked for) and is unusable after dispose', async () => {
    const options = { model: join(files.qwen2, 'model-q8_0.gguf'), backend: 'reference', contextLength: 64, kvCacheType: 'f16' } as const;
    const engine = await createWorkerEngine(workerPair(), options);
    const direct = await createEngine(options);
    expect(engine.model).toMatchObject({ kvCacheType: 'f16', kvCacheBytes: direct.model.kvCacheBytes });
    expect(Array.from(await engine.logits([1, 2, 3]))).toEqual(Array.from(await direct.logits([1, 2, 3])));
    expect(engine.tokenize('Hello')).toEqual(direct.tokenize('Hello'));
    await direct.dispose();
    await engine.dispose();
    await expect(engine.completions.create({ prompt: 'x' })).rejects.toBeInstanceOf(EngineUnavailableError);
  });

  it('aborts a load in the worker with the page\'s signal: AbortError, before or midway', async () => {
    const before = new AbortController();
    before.abort();
    await expect(createWorkerEngine(workerPair(), { model: join(files.llama, 'hf'), backend: 'reference', signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const midway = new AbortController();
    let progress = 0;
    const loading = createWorkerEngine(workerPair(), {
      model: join(files.qwen2, 'model-f32.gguf'),
      backend: 'reference',
      signal: midway.signal,
      onProgress: () => {
        if (++progress === 2) midway.abort();
      },
    });
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
    // The abort reached the worker while it was still uploading: it stopped well before the last tensor.
    const opened = await openModel(join(files.qwen2, 'model-f32.gguf'));
    expect(progress).toBeLessThan(opened.reader.tensors.size);
    await opened.reader.close();
  });

  it('loads local files given as a BrowserModelSource', async () => {
    const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
    const picked = await Promise.all(names.map(async (name) => new File([await readFile(join(files.llama, 'hf', name))], name)));
    const engine = await createWorkerEngine(workerPair(), { model: { files: picked }, backend: 'reference', contextLength: 128 });
    const request = { messages: MESSAGES, max_tokens: 6, temperature: 0 };
    expect((await engine.chat.completions.create(request)).choices[0].message.content).toBe((await local.chat.completions.create(request)).choices[0].message.content);
    await engine.dispose();
  });
});

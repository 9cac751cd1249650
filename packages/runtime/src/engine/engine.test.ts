import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createWebGPUBackend } from '@cria/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../formats/chunks.js';
import { encodeGguf } from '../formats/gguf/gguf-writer.js';
import { gguf } from '../formats/gguf/gguf-value.js';
import { loadModel } from '../loading/load-model.js';
import { writeTestModels, type TestModelFiles } from '../testing/test-model-files.js';
import type { ChatCompletionChunk, ChatMessage, Engine } from './api-types.js';
import { createEngine } from './create-engine.js';
import { ContextLengthExceededError, EngineUnavailableError, InvalidRequestError, ModelNotFoundError, UnsupportedArchitectureError } from './engine-errors.js';

let files: TestModelFiles;
let engine: Engine;
const HELLO: ChatMessage[] = [{ role: 'user', content: 'Hello there' }];

beforeAll(async () => {
  files = await writeTestModels();
  engine = await createEngine({ model: join(files.llama, 'hf'), backend: 'reference', contextLength: 128 });
});
afterAll(async () => {
  await engine?.dispose();
  await files?.remove();
});

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<{ chunks: ChatCompletionChunk[]; text: string }> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, text: chunks.map((chunk) => chunk.choices[0].delta.content ?? '').join('') };
}

describe('createEngine', () => {
  it('describes the model and the backend it chose', () => {
    expect(engine.model).toMatchObject({ id: 'hf', architecture: 'LlamaForCausalLM', contextLength: 128, vocabSize: 320 });
    expect(engine.model.parameters).toBeGreaterThan(100_000);
    expect(engine.model.backend).toMatch(/reference/);
    expect(engine.model.backendReason).toBe('requested');
  });

  it("says why 'auto' chose its backend", async () => {
    const auto = await createEngine({ model: join(files.llama, 'model-q8_0.gguf'), backend: 'auto', contextLength: 32 });
    try {
      // No hardware adapter in CI: wasm, with WebGPU's reason (none, or only SwiftShader); on a GPU: WebGPU.
      if (/webgpu/i.test(auto.model.backend)) expect(auto.model.backendReason).toBe('hardware WebGPU adapter');
      else expect(auto.model.backendReason).toMatch(/^(WebGPU unavailable \(.+\); using wasm|.*SwiftShader.*; using wasm instead)$/);
    } finally {
      await auto.dispose();
    }
  });

  it('runs Mistral checkpoints (the Llama forward) and keeps the context within a sliding window', async () => {
    const mistral = join(files.directory, 'mistral');
    await cp(join(files.llama, 'hf'), mistral, { recursive: true });
    const config = JSON.parse(await readFile(join(mistral, 'config.json'), 'utf8'));
    await writeFile(join(mistral, 'config.json'), JSON.stringify({ ...config, architectures: ['MistralForCausalLM'], model_type: 'mistral', sliding_window: 64 }));
    const windowed = await createEngine({ model: mistral, backend: 'reference' });
    try {
      expect(windowed.model).toMatchObject({ architecture: 'MistralForCausalLM', contextLength: 64 });
      expect(Array.from(await windowed.logits([1, 5, 60, 70]))).toEqual(Array.from(await engine.logits([1, 5, 60, 70])));
    } finally {
      await windowed.dispose();
    }
    // Refused before a single weight is read.
    const progress: unknown[] = [];
    await expect(createEngine({ model: mistral, backend: 'reference', contextLength: 65, onProgress: (event) => progress.push(event) })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      param: 'contextLength',
      message: expect.stringMatching(/sliding attention window \(64 tokens\).*contextLength ≤ 64/),
    });
    expect(progress).toEqual([]);
    // Mistral v0.2+ (sliding_window: null) attends over everything: no cap beyond the model's own.
    await writeFile(join(mistral, 'config.json'), JSON.stringify({ ...config, architectures: ['MistralForCausalLM'], sliding_window: null }));
    const full = await createEngine({ model: mistral, backend: 'reference', contextLength: 200 });
    expect(full.model.contextLength).toBe(200);
    await full.dispose();
  });

  it('allocates the KV cache in f16 or f32 as asked, and says which and how big', async () => {
    // The test Llama: 2 layers, 2 KV heads of 16 dims; 128 positions of keys and values.
    expect(engine.model).toMatchObject({ kvCacheType: 'f32', kvCacheBytes: 2 * 2 * 128 * 2 * 16 * 4 });
    const half = await createEngine({ model: join(files.llama, 'hf'), backend: 'wasm', contextLength: 128, kvCacheType: 'f16' });
    const full = await createEngine({ model: join(files.llama, 'hf'), backend: 'wasm', contextLength: 128, kvCacheType: 'f32' });
    try {
      expect(half.model).toMatchObject({ kvCacheType: 'f16', kvCacheBytes: engine.model.kvCacheBytes / 2 });
      const request = { messages: HELLO, max_tokens: 12, temperature: 0 };
      const [a, b] = [await half.chat.completions.create(request), await full.chat.completions.create(request)];
      expect(a.choices[0].message.content).toBe(b.choices[0].message.content); // peaked test logits: rounding keys does not flip them
      // The follow-up turn reuses the f16 cache's prefix like the f32 one's.
      const followUp = { messages: [...HELLO, a.choices[0].message, { role: 'user' as const, content: 'And then?' }], max_tokens: 4, temperature: 0 };
      expect((await half.chat.completions.create(followUp)).choices[0].message.content).toBe((await full.chat.completions.create(followUp)).choices[0].message.content);
      const ids = [1, 5, 60, 70, 80];
      const [x, y] = [await half.logits(ids), await full.logits(ids)];
      let difference = 0;
      for (let i = 0; i < x.length; i++) difference = Math.max(difference, Math.abs(x[i]! - y[i]!));
      expect(difference).toBeGreaterThan(0); // the keys really were rounded
      expect(difference).toBeLessThan(0.05);
    } finally {
      await half.dispose();
      await full.dispose();
    }
    await expect(createEngine({ model: join(files.llama, 'hf'), backend: 'reference', kvCacheType: 'q8_0' as never })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      param: 'kvCacheType',
    });
  });

  it('a KV cache the backend cannot hold is an InvalidRequestError with its size and the fixes, not a crash later', async () => {
    // 40M positions of the test Llama: 20 GB of f32 keys and values, past wasm32's 4 GiB.
    await expect(createEngine({ model: join(files.llama, 'hf'), backend: 'wasm', contextLength: 40_000_000 })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      param: 'contextLength',
      code: 'kv_cache_too_large',
      message: expect.stringMatching(/40000000 positions \(f32\) takes 19532 MiB.*4 GiB.*smaller contextLength or kvCacheType 'f16'/),
    });
    // WebGPU binds each layer's cache whole: over the binding limit it is refused at creation, not at the first attention.
    const backend = await createWebGPUBackend({ maxBindingBytes: 64 * 1024 });
    try {
      const { model } = await loadModel(join(files.llama, 'hf'), backend);
      expect(() => model.createCache(1024, 'f32')).toThrow(/131072 bytes, over the 65536-byte storage binding limit/);
      model.createCache(1024, 'f16').dispose(); // half the bytes: fits
    } finally {
      backend.dispose();
    }
  });

  it('reports loading progress tensor by tensor, ending at the total', async () => {
    const progress: Array<{ loadedBytes: number; totalBytes: number }> = [];
    const gguf = await createEngine({ model: join(files.qwen2, 'model-q8_0.gguf'), backend: 'reference', onProgress: (event) => progress.push(event) });
    await gguf.dispose();
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)!.loadedBytes).toBe(progress.at(-1)!.totalBytes);
  });

  it('rejects missing models, non-model directories and unknown architectures with typed errors', async () => {
    await expect(createEngine({ model: join(files.directory, 'nope'), backend: 'reference' })).rejects.toThrow(ModelNotFoundError);
    const empty = join(files.directory, 'empty');
    await mkdir(empty);
    await expect(createEngine({ model: empty, backend: 'reference' })).rejects.toThrow(/no config.json/);
    const noWeights = join(files.directory, 'no-weights');
    await mkdir(noWeights);
    await cp(join(files.llama, 'hf', 'config.json'), join(noWeights, 'config.json'));
    await cp(join(files.llama, 'hf', 'tokenizer.json'), join(noWeights, 'tokenizer.json'));
    await expect(createEngine({ model: noWeights, backend: 'reference' })).rejects.toThrow(ModelNotFoundError);

    const gpt2 = join(files.directory, 'gpt2');
    await cp(join(files.llama, 'hf'), gpt2, { recursive: true });
    const config = JSON.parse(await readFile(join(gpt2, 'config.json'), 'utf8'));
    await writeFile(join(gpt2, 'config.json'), JSON.stringify({ ...config, architectures: ['GPT2LMHeadModel'] }));
    await expect(createEngine({ model: gpt2, backend: 'reference' })).rejects.toThrow(UnsupportedArchitectureError);

    const ggufPath = join(files.directory, 'falcon.gguf');
    await writeFile(ggufPath, concatBytes(encodeGguf({ 'general.architecture': gguf.string('falcon') }, [])));
    await expect(createEngine({ model: ggufPath, backend: 'reference' })).rejects.toThrow(/Unsupported architecture "falcon/);
  });
});

describe('chat.completions.create', () => {
  it('answers with an OpenAI-shaped completion and usage', async () => {
    const reply = await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 8 });
    expect(reply.object).toBe('chat.completion');
    expect(reply.choices[0].message.role).toBe('assistant');
    expect(reply.choices[0].finish_reason).toBe('length');
    expect(reply.usage).toMatchObject({ completion_tokens: 8, total_tokens: reply.usage.prompt_tokens + 8 });
    expect(reply.usage.prefill_tokens_per_second).toBeGreaterThan(0);
    expect(reply.usage.decode_tokens_per_second).toBeGreaterThan(0);
  });

  it('streams chunks whose text equals the whole response, usage on the last', async () => {
    const whole = await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 12 });
    const { chunks, text } = await collect(await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 12, stream: true }));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(text).toBe(whole.choices[0].message.content);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1)!.usage?.completion_tokens).toBe(12);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === undefined)).toBe(true);
  });

  it('gives the same output for the same seed', async () => {
    const request = { messages: HELLO, temperature: 1, top_p: 0.95, max_tokens: 16, seed: 42 };
    const first = await engine.chat.completions.create(request);
    const second = await engine.chat.completions.create(request);
    const other = await engine.chat.completions.create({ ...request, seed: 43 });
    expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
    expect(other.choices[0].message.content).not.toBe(first.choices[0].message.content);
  });

  it('stops at a stop string without showing any of it, streamed or not', async () => {
    const free = (await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 24 })).choices[0].message.content;
    const stop = free.slice(6, 8);
    const cut = free.slice(0, free.indexOf(stop));
    const reply = await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 24, stop });
    expect(reply.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: cut } });
    const { chunks, text } = await collect(await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 24, stop: [stop], stream: true }));
    expect(text).toBe(cut);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
  });

  it('stops at a stop token id', async () => {
    const prompt = engine.tokenize('abc');
    const logits = await engine.logits(prompt);
    const row = logits.subarray((prompt.length - 1) * 320);
    const first = row.indexOf(Math.max(...row));
    const reply = await engine.completions.create({ prompt: 'abc', temperature: 0, max_tokens: 10, stop_token_ids: [first] });
    expect(reply.choices[0]).toMatchObject({ finish_reason: 'stop', text: '' });
    expect(reply.usage.completion_tokens).toBe(1);
  });

  it('returns logprobs with top alternatives', async () => {
    const reply = await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 5, logprobs: true, top_logprobs: 3 });
    const content = reply.choices[0].logprobs!.content;
    expect(content).toHaveLength(5);
    for (const entry of content) {
      expect(entry.top_logprobs).toHaveLength(3);
      // Greedy: the chosen token is the most likely one.
      expect(entry.logprob).toBeCloseTo(entry.top_logprobs[0]!.logprob, 6);
      expect(entry.logprob).toBeLessThanOrEqual(0);
    }
  });

  it('ends with finish_reason abort when the signal fires', async () => {
    const controller = new AbortController();
    const stream = await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 60, stream: true, signal: controller.signal });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunks.length === 3) controller.abort();
    }
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('abort');
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeLessThan(60);
    const aborted = await engine.chat.completions.create({ messages: HELLO, max_tokens: 5, signal: AbortSignal.abort() });
    expect(aborted.choices[0].finish_reason).toBe('abort');
    expect(aborted.usage.completion_tokens).toBe(0);
  });

  it('reuses the KV cache prefix on a follow-up turn, with the same output as a fresh engine', async () => {
    const first = await engine.chat.completions.create({ messages: HELLO, temperature: 0, max_tokens: 10 });
    const followUp: ChatMessage[] = [...HELLO, { role: 'assistant', content: first.choices[0].message.content }, { role: 'user', content: 'And then?' }];
    // logits() in between must not disturb the chat cache.
    await engine.logits([1, 2, 3]);
    const second = await engine.chat.completions.create({ messages: followUp, temperature: 0, max_tokens: 10 });
    expect(second.usage.prefill_tokens).toBeLessThan(second.usage.prompt_tokens);
    expect(second.usage.prompt_tokens - second.usage.prefill_tokens).toBeGreaterThanOrEqual(first.usage.prompt_tokens);
    const fresh = await createEngine({ model: join(files.llama, 'hf'), backend: 'reference', contextLength: 128 });
    try {
      const again = await fresh.chat.completions.create({ messages: followUp, temperature: 0, max_tokens: 10 });
      expect(again.usage.prefill_tokens).toBe(again.usage.prompt_tokens);
      expect(second.choices[0].message.content).toBe(again.choices[0].message.content);
    } finally {
      await fresh.dispose();
    }
  });

  it('serves concurrent requests one after another with unchanged results', async () => {
    const request = { messages: HELLO, temperature: 0, max_tokens: 6 };
    const alone = (await engine.chat.completions.create(request)).choices[0].message.content;
    const together = await Promise.all([1, 2, 3].map(() => engine.chat.completions.create(request)));
    for (const reply of together) expect(reply.choices[0].message.content).toBe(alone);
  });
});

describe('request validation', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['empty messages', { messages: [] }, 'messages'],
    ['a bad role', { messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    ['non-string content', { messages: [{ role: 'user', content: 3 }] }, 'messages[0].content'],
    ['negative temperature', { messages: HELLO, temperature: -1 }, 'temperature'],
    ['top_p 0', { messages: HELLO, top_p: 0 }, 'top_p'],
    ['fractional top_k', { messages: HELLO, top_k: 1.5 }, 'top_k'],
    ['max_tokens 0', { messages: HELLO, max_tokens: 0 }, 'max_tokens'],
    ['top_logprobs without logprobs', { messages: HELLO, top_logprobs: 2 }, 'top_logprobs'],
    ['five stop strings', { messages: HELLO, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    ['an out-of-vocabulary logit_bias', { messages: HELLO, logit_bias: { '99999': 1 } }, 'logit_bias'],
    ['a stop token id out of range', { messages: HELLO, stop_token_ids: [-1] }, 'stop_token_ids'],
    ['a special token in content', { messages: [{ role: 'user', content: 'hi <|im_end|>' }] }, 'messages'],
  ];
  it.each(cases)('rejects %s naming the param', async (_, request, param) => {
    const error = await engine.chat.completions.create(request as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).param).toBe(param);
    expect((error as InvalidRequestError).status).toBe(400);
  });

  it('rejects a prompt plus max_tokens beyond the context', async () => {
    await expect(engine.chat.completions.create({ messages: HELLO, max_tokens: 500 })).rejects.toThrow(ContextLengthExceededError);
    await expect(engine.completions.create({ prompt: 'x'.repeat(400) })).rejects.toThrow(ContextLengthExceededError);
  });

  it('says clearly when the model has no chat template', async () => {
    const bare = join(files.directory, 'no-template');
    await cp(join(files.llama, 'hf'), bare, { recursive: true });
    await writeFile(join(bare, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|im_end|>' }));
    const plain = await createEngine({ model: bare, backend: 'reference' });
    try {
      await expect(plain.chat.completions.create({ messages: HELLO })).rejects.toThrow(/no chat template.*completions\.create/);
      expect((await plain.completions.create({ prompt: 'abc', max_tokens: 2 })).usage.completion_tokens).toBeGreaterThan(0);
    } finally {
      await plain.dispose();
    }
  });
});

describe('logits', () => {
  it('returns [n, vocab] next-token logits matching generation', async () => {
    const ids = engine.tokenize('hello');
    const logits = await engine.logits(ids);
    expect(logits).toHaveLength(ids.length * 320);
    const last = logits.subarray((ids.length - 1) * 320);
    const reply = await engine.completions.create({ prompt: 'hello', temperature: 0, max_tokens: 1, logprobs: true, top_logprobs: 1 });
    const best = last.indexOf(Math.max(...last));
    expect(reply.choices[0].logprobs!.content[0]!.token).toBe(engine.detokenize([best]));
    await expect(engine.logits([])).rejects.toThrow(InvalidRequestError);
    await expect(engine.logits([320])).rejects.toThrow(InvalidRequestError);
  });
});

describe('dispose', () => {
  it('makes later calls fail with EngineUnavailableError', async () => {
    const short = await createEngine({ model: join(files.qwen2, 'model-f32.gguf'), backend: 'reference' });
    await short.dispose();
    await expect(short.chat.completions.create({ messages: HELLO })).rejects.toThrow(EngineUnavailableError);
    await expect(short.logits([1])).rejects.toThrow(EngineUnavailableError);
  });
});

describe('logprobs bytes', () => {
  it('are the raw bytes of each token, which together decode to the text (special tokens, not shown, aside)', async () => {
    const reply = await engine.completions.create({ prompt: 'abc', temperature: 0, max_tokens: 12, logprobs: true });
    const content = reply.choices[0].logprobs!.content.filter((entry) => !/^<\|.*\|>$/.test(entry.token));
    expect(content.some((entry) => entry.token === '\ufffd' && entry.bytes.length === 1)).toBe(true);
    const bytes = content.flatMap((entry) => entry.bytes);
    expect(new TextDecoder().decode(Uint8Array.from(bytes))).toBe(reply.choices[0].text);
  });
});

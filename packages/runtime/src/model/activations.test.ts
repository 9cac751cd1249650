import { createWasmBackend, type WasmBackend } from '@cria/kernels';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryByteSource } from '../formats/sources/byte-source.js';
import { TINY_LLAMA, TINY_QWEN2, type TestModelConfig } from '../formats/test-model/test-model-config.js';
import { testModelInMemory } from '../formats/test-model/test-model.js';
import { loadModel } from '../loading/load-model.js';
import { LlamaModel } from './llama-model.js';

/**
 * The forward's activations are one layer's worth, kept with the KV cache: deterministic counts of
 * backend tensors and bytes (WasmBackend.bytesInUse), not timings or RSS (those are in the decode bench).
 */
const backends: WasmBackend[] = [];
afterEach(() => {
  for (const backend of backends.splice(0)) backend.dispose();
});

async function load(config: TestModelConfig, ggufType: 'Q8_0' | 'F32' = 'Q8_0') {
  const backend = await createWasmBackend({ threads: 1 });
  backends.push(backend);
  const bytes = testModelInMemory(config, { ggufType }).gguf;
  const { model } = await loadModel({ kind: 'gguf', name: 'tiny.gguf', open: async () => new MemoryByteSource(bytes) }, backend);
  return { backend, model };
}

const PROMPT = [5, 60, 70, 80, 90, 100, 33, 44, 7, 8, 9, 10];

describe('forward activations', () => {
  it.each([['llama', TINY_LLAMA], ['qwen2 (q/k/v biases)', TINY_QWEN2]] as const)('%s: a decode step allocates no tensor and leaves the backend memory as it was', async (_, config) => {
    const { backend, model } = await load(config);
    const cache = model.createCache(PROMPT.length + 8);
    await model.forward(PROMPT, cache);
    await model.forward([3], cache); // the first step of T = 1 swaps the prefill's activations for one token's
    const inUse = backend.bytesInUse;
    const allocate = vi.spyOn(backend, 'tensor');
    for (let step = 0; step < 4; step++) await model.forward([4 + step], cache);
    expect(allocate).not.toHaveBeenCalled();
    expect(backend.bytesInUse).toBe(inUse);
  });

  it('holds the same tensor bytes at its peak for 2 layers as for 8: one set of activations, reused by every layer', async () => {
    const peakDuringPrefill = async (numLayers: number) => {
      const { backend, model } = await load({ ...TINY_LLAMA, numLayers });
      const cache = model.createCache(PROMPT.length);
      let live = 0;
      let peak = 0;
      const tensor = backend.tensor.bind(backend);
      const free = backend.free.bind(backend);
      vi.spyOn(backend, 'tensor').mockImplementation((dtype, shape, data) => {
        const t = tensor(dtype, shape, data);
        peak = Math.max(peak, (live += t.byteLength));
        return t;
      });
      vi.spyOn(backend, 'free').mockImplementation((t) => {
        live -= t.byteLength;
        free(t);
      });
      await model.forward(PROMPT, cache);
      return peak;
    };
    const two = await peakDuringPrefill(2);
    expect(two).toBeGreaterThan(0);
    expect(await peakDuringPrefill(8)).toBe(two);
  });

  it('an f16 KV cache takes half the bytes of an f32 one; a bad type, capacity or token id is refused before anything is allocated or run', async () => {
    const { backend, model } = await load(TINY_LLAMA);
    const before = backend.bytesInUse;
    const sizes = (['f32', 'f16'] as const).map((type) => {
      const cache = model.createCache(64, type);
      const bytes = backend.bytesInUse - before;
      expect(cache.bytes).toBe(bytes);
      cache.dispose();
      return bytes;
    });
    expect(sizes[1]).toBe(sizes[0]! / 2);
    const byDefault = model.createCache(64);
    expect(byDefault.type).toBe('f32'); // wasm's default
    byDefault.dispose();
    expect(() => model.createCache(64, 'q8_0' as never)).toThrow(/f16 or f32.*"q8_0"/);
    expect(() => model.createCache(0)).toThrow(RangeError);
    // Ids outside the vocabulary are refused before anything runs (the embedding kernel would read zeros).
    const cache = model.createCache(8);
    await expect(model.forward([1, model.config.vocabSize], cache)).rejects.toThrow(/ids\[1\] = 320 is not a token id of this model \(integers in \[0, 320\)\)/);
    await expect(model.forward([1.5], cache)).rejects.toThrow(RangeError);
    expect(cache.length).toBe(0);
    cache.dispose();
    expect(backend.bytesInUse).toBe(before);
  });

  it('frees the activations with the cache: sequence after sequence, nothing accumulates', async () => {
    const { backend, model } = await load(TINY_LLAMA);
    const sequence = async (allLogits: boolean) => {
      const cache = model.createCache(PROMPT.length + 1);
      await model.forward(PROMPT, cache, allLogits);
      await model.forward([3], cache);
      const held = backend.bytesInUse;
      cache.dispose();
      expect(backend.bytesInUse).toBeLessThan(held);
      return backend.bytesInUse; // the weights and the backend's op scratch
    };
    const after = await sequence(false);
    expect(await sequence(true)).toBe(after);
    expect(await sequence(false)).toBe(after);
  });

  it('unmerged LoRA adapters: same logits as the merged weight, and decode steps still allocate nothing', async () => {
    const { backend, model } = await load(TINY_LLAMA, 'F32');
    const { hiddenSize: C, numHeads: H, headDim: D } = model.config;
    const rank = 3;
    const scaling = 0.75;
    const q = model.weights.layers[0]!.q; // [H·D, C]
    const A = Float32Array.from({ length: rank * C }, (_, i) => Math.sin(i) * 0.2); // [r, C]
    const B = Float32Array.from({ length: H * D * rank }, (_, i) => Math.cos(i) * 0.2); // [H·D, r]
    const adapters = new Map([[q, { a: backend.tensor('f32', [rank, C], A), b: backend.tensor('f32', [H * D, rank], B), scaling }]]);
    const adapted = new LlamaModel(backend, model.config, { ...model.weights, adapters });

    const merged = Float32Array.from((await backend.read(q)) as Float32Array); // W + scaling · B·A
    for (let o = 0; o < H * D; o++) {
      for (let i = 0; i < C; i++) {
        let sum = 0;
        for (let r = 0; r < rank; r++) sum += B[o * rank + r]! * A[r * C + i]!;
        merged[o * C + i]! += scaling * sum;
      }
    }
    const layers = model.weights.layers.map((layer, index) => (index === 0 ? { ...layer, q: backend.tensor('f32', [H * D, C], merged) } : layer));
    const reference = new LlamaModel(backend, model.config, { ...model.weights, layers });

    const run = async (on: LlamaModel) => {
      const cache = on.createCache(PROMPT.length + 8);
      const logits = [await on.forward(PROMPT, cache), await on.forward([3], cache)];
      return { cache, logits };
    };
    const expected = await run(reference);
    const got = await run(adapted);
    for (const [index, row] of got.logits.entries()) {
      const want = expected.logits[index]!;
      const scale = Math.max(...want.map(Math.abs));
      expect(Math.max(...row.map((value, i) => Math.abs(value - want[i]!))) / scale).toBeLessThan(1e-5);
    }
    const inUse = backend.bytesInUse;
    const allocate = vi.spyOn(backend, 'tensor');
    for (let step = 0; step < 3; step++) await adapted.forward([4 + step], got.cache);
    expect(allocate).not.toHaveBeenCalled();
    expect(backend.bytesInUse).toBe(inUse);
    got.cache.dispose();
    expected.cache.dispose();
  });

  it("forwardInto: the same logits as forward, written into the caller's array, with no tensor allocated per step", async () => {
    const { backend, model } = await load(TINY_LLAMA);
    const viaForward = model.createCache(PROMPT.length + 4);
    const viaInto = model.createCache(PROMPT.length + 4);
    const logits = new Float32Array(model.config.vocabSize);
    expect(await model.forwardInto(PROMPT, viaInto, logits)).toBe(logits);
    expect(Array.from(logits)).toEqual(Array.from(await model.forward(PROMPT, viaForward)));
    await model.forwardInto([3], viaInto, logits); // the first T = 1 step makes the one-token activations
    await model.forward([3], viaForward);
    const allocate = vi.spyOn(backend, 'tensor');
    for (const id of [4, 5]) {
      await model.forwardInto([id], viaInto, logits);
      expect(Array.from(logits)).toEqual(Array.from(await model.forward([id], viaForward)));
    }
    expect(allocate).not.toHaveBeenCalled();
    await expect(model.forwardInto([6], viaInto, new Float32Array(7))).rejects.toThrow(/vocabulary size/);
  });
});

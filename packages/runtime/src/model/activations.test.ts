import { createWasmBackend, type WasmBackend } from '@cria/kernels';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryByteSource } from '../formats/sources/byte-source.js';
import { TINY_LLAMA, TINY_QWEN2, type TestModelConfig } from '../formats/test-model/test-model-config.js';
import { testModelInMemory } from '../formats/test-model/test-model.js';
import { loadModel } from '../loading/load-model.js';

/**
 * The forward's activations are one layer's worth, kept with the KV cache: deterministic counts of
 * backend tensors and bytes (WasmBackend.bytesInUse), not timings or RSS (those are in the decode bench).
 */
const backends: WasmBackend[] = [];
afterEach(() => {
  for (const backend of backends.splice(0)) backend.dispose();
});

async function load(config: TestModelConfig) {
  const backend = await createWasmBackend({ threads: 1 });
  backends.push(backend);
  const bytes = testModelInMemory(config, { ggufType: 'Q8_0' }).gguf;
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
});

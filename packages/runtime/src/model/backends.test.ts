import { createBackend, createWebGPUBackend, type BackendName } from '@cria/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../loading/load-model.js';
import type { KvCacheType } from './kv-cache.js';
import { writeTestModels, type TestModelFiles } from '../testing/test-model-files.js';

/**
 * The same greedy tokens on every backend (reference, wasm SIMD, WebGPU on SwiftShader here).
 * SwiftShader runs WGSL on the CPU, slowly: 16 tokens per model keep the file fast.
 *
 * F32/F16 weights: the tokens must be identical. Q8_0/Q4_0: wasm's quantized decode matmul is less
 * exact than the reference's (measured ≈0.15 max |Δlogit|, like llama.cpp's Q8_0 activations), so a
 * near tie in the reference can flip: there, every token a backend picks must be within
 * NEAR_TIE of the reference's best logit on the same prefix (and the tokens must agree elsewhere).
 * On the TINY_LLAMA Q4_0 prompt below, wasm flips at step 8, where the reference's top two differ by 0.024.
 */
const BACKENDS: BackendName[] = ['wasm', 'webgpu'];
const PROMPT = [5, 60, 70, 80, 90, 100, 33, 44];
const GENERATED = 16;
const NEAR_TIE = 0.25;
const MODELS = [
  ['llama', 'hf', 'f32', true],
  ['llama', 'model-f16.gguf', 'f32', true],
  ['llama', 'model-q4_0.gguf', 'f32', false],
  ['qwen2', 'model-f32.gguf', 'f32', true],
  ['qwen2', 'model-q8_0.gguf', 'f32', false],
  // llama3 RoPE scaling: the rope kernels take host-computed inverse frequencies.
  ['llama3', 'hf', 'f32', true],
  // f16 KV caches: every backend rounds keys and values to nearest even and widens them exactly.
  ['llama', 'hf', 'f16', true],
  ['qwen2', 'model-f32.gguf', 'f16', true],
] as const;

let files: TestModelFiles;
beforeAll(async () => {
  files = await writeTestModels();
});
afterAll(() => files?.remove());

async function greedy(backendName: BackendName, path: string, kvCacheType: KvCacheType): Promise<number[]> {
  const backend = await createBackend({ backend: backendName });
  try {
    const { model } = await loadModel(path, backend);
    const cache = model.createCache(PROMPT.length + GENERATED, kvCacheType);
    let logits = await model.forward(PROMPT, cache);
    const generated: number[] = [];
    while (generated.length < GENERATED) {
      generated.push(logits.indexOf(Math.max(...logits)));
      if (generated.length < GENERATED) logits = await model.forward([generated.at(-1)!], cache);
    }
    return generated;
  } finally {
    backend.dispose();
  }
}

/** For each generated token, how far its reference logit is below the reference's best, on the same prefix. */
async function referenceShortfalls(path: string, generated: number[], kvCacheType: KvCacheType): Promise<number[]> {
  const backend = await createBackend({ backend: 'reference' });
  try {
    const { model } = await loadModel(path, backend);
    const ids = [...PROMPT, ...generated.slice(0, -1)];
    const logits = await model.forward(ids, model.createCache(ids.length, kvCacheType), true);
    const vocab = model.config.vocabSize;
    return generated.map((token, step) => {
      const row = logits.subarray((PROMPT.length - 1 + step) * vocab, (PROMPT.length + step) * vocab);
      return Math.max(...row) - row[token]!;
    });
  } finally {
    backend.dispose();
  }
}

describe.each(MODELS)('%s %s, %s KV cache', (arch, file, kvCacheType, exact) => {
  it(`generates the same greedy tokens on ${BACKENDS.join(', ')} as on the reference`, async () => {
    const path = `${files[arch]}/${file}`;
    const expected = await greedy('reference', path, kvCacheType);
    for (const backend of BACKENDS) {
      const tokens = await greedy(backend, path, kvCacheType);
      if (exact) expect(tokens, backend).toEqual(expected);
      else {
        const shortfalls = await referenceShortfalls(path, tokens, kvCacheType);
        expect(Math.max(...shortfalls), `${backend} picked a token the reference ranks clearly lower`).toBeLessThan(NEAR_TIE);
        if (tokens.some((token, i) => token !== expected[i])) console.log(`${arch} ${file} on ${backend}: flipped at a near tie (${tokens.join(',')} vs ${expected.join(',')})`);
      }
    }
  }, 120_000);
});

describe('a decode step on WebGPU', () => {
  it('is one submit and 12 dispatches per layer (residual adds fused into the rmsnorms, rope into the cache append, swiglu into the up projection), and creates no bind group after the first', async () => {
    const backend = await createWebGPUBackend();
    try {
      const { model } = await loadModel(`${files.llama}/hf`, backend);
      const cache = model.createCache(PROMPT.length + 3, 'f16');
      await model.forward(PROMPT, cache);
      await model.forward([5], cache);
      const before = { ...backend.stats };
      await model.forward([7], cache);
      const layers = model.config.numLayers;
      expect(backend.stats.submits - before.submits).toBe(1);
      // Per layer: q, k, v, o, gate, down matmuls; up with swiglu (matmulSwiglu); ropeAppend (q and k
      // rotated, k and v into the f16 cache); attention (split keys, then their merge); 2 addRmsnorms.
      // Around them: embedding, the first rmsnorm, the output head.
      expect(backend.stats.dispatches - before.dispatches).toBe(layers * 12 + 3);
      // The same dispatches over the same buffers as the step before: every bind group is reused.
      expect(backend.stats.bindGroups - before.bindGroups).toBe(0);
      await model.forward([9], cache);
      expect(backend.stats.bindGroups - before.bindGroups).toBe(0);
    } finally {
      backend.dispose();
    }
  });
});

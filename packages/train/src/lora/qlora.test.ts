import { byteLength, createReferenceBackend, createWasmBackend, dequantizeQ4_0, quantizeQ4_0 } from '@cria/kernels';
import { SeededRandom } from '@cria/runtime';
import { describe, expect, it } from 'vitest';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { initialLlamaWeights } from '../model/llama-parameters.js';
import type { Parameter } from '../parameters/parameter-store.js';
import { relativeError } from '../testing/golden-fixture.js';
import { sharedWasmBackend } from '../testing/test-resources.js';
import { AdamW } from '../optim/adamw-optimizer.js';
import { loraNames } from './lora-adapters.js';
import { TINY_TRAINING_CONFIG as CONFIG } from '../testing/tiny-config.js';

/**
 * QLoRA's point is fine-tuning a base that would not fit in f32: the Q4_0 base must stay Q4_0 on the
 * backend (the input gradient reads its blocks as stored), and the gradients must be those of LoRA
 * on the dequantized f32 base.
 */
// q, v and down get adapters; k, o, gate and up stay plain frozen Q4_0 layers the gradient flows through.
const LORA = { rank: 4, alpha: 8, targets: ['q', 'v', 'down'] as const, seed: 7 };
const ALIGNMENT = 16; // the wasm allocator's block size
const aligned = (bytes: number) => Math.max(ALIGNMENT, Math.ceil(bytes / ALIGNMENT) * ALIGNMENT);
const LINEAR = /_proj\.weight$/;

/** Random A and B for every adapted module: B = 0 (PEFT's init) would zero A's gradient. */
function randomAdapters(): Map<string, Float32Array> {
  const random = new SeededRandom(11);
  const adapters = new Map<string, Float32Array>();
  const { hiddenSize: d, intermediateSize: f, numKvHeads, headDim } = CONFIG;
  const shapes = { 'self_attn.q_proj': [d, d], 'self_attn.v_proj': [numKvHeads * headDim, d], 'mlp.down_proj': [d, f] } as const;
  for (let layer = 0; layer < CONFIG.numLayers; layer++) {
    for (const [module, [out, inFeatures]] of Object.entries(shapes)) {
      const names = loraNames(`model.layers.${layer}.${module}`);
      adapters.set(names.a, Float32Array.from({ length: LORA.rank * inFeatures }, () => random.normal() * 0.1));
      adapters.set(names.b, Float32Array.from({ length: out * LORA.rank }, () => random.normal() * 0.1));
    }
  }
  return adapters;
}

function batch() {
  const random = new SeededRandom(3);
  const [B, T] = [2, 8];
  const tokens = () => Int32Array.from({ length: B * T }, () => Math.floor(random.uniform() * CONFIG.vocabSize));
  return { batchSize: B, sequenceLength: T, ids: tokens(), targets: tokens() };
}

describe('QLoRA on a Q4_0 base (wasm)', () => {
  const backend = sharedWasmBackend();
  const base = initialLlamaWeights(CONFIG, { seed: 5, std: 0.1 });
  const adapter = randomAdapters();

  it('holds no f32 copy of the base: bytes in use after setup = Q4_0 base + f32 rest + adapters, their gradients and AdamW moments', () => {
    const before = backend().bytesInUse;
    const model = LlamaTrainingModel.fromWeights(backend(), CONFIG, base, { lora: LORA, adapter, baseDtype: 'q4_0' });
    const optimizer = new AdamW(backend(), model.parameters.trainable);
    const used = backend().bytesInUse - before;

    const f32Bytes = (parameter: Parameter) => aligned(4 * parameter.value.size);
    const frozen = model.parameters.all.filter((parameter) => !parameter.grad);
    const trainable = model.parameters.trainable;
    expect(frozen.filter((parameter) => LINEAR.test(parameter.name)).every((parameter) => parameter.value.dtype === 'q4_0')).toBe(true);
    const baseBytes = frozen.reduce((sum, p) => sum + aligned(byteLength(p.value.dtype, p.value.shape)), 0);
    // value, gradient, AdamW m and v per adapter tensor; the optimizer's one-float sum of squares.
    const adapterBytes = trainable.reduce((sum, p) => sum + 4 * f32Bytes(p), 0) + aligned(4);
    expect(used).toBe(baseBytes + adapterBytes);

    // What the f32 copies used to cost: 4 bytes per element of every quantized weight, ~7× its Q4_0 bytes.
    const quantizedElements = frozen.filter((p) => p.value.dtype === 'q4_0').reduce((sum, p) => sum + p.value.size, 0);
    expect(quantizedElements * 4).toBeGreaterThan(used);
    optimizer.dispose();
    model.dispose();
    expect(backend().bytesInUse).toBe(before);
  });
});

/**
 * The reference backend computes with the decoded weights exactly, so only f32 rounding separates the
 * two models. The wasm forward multiplies Q8_0/Q4_0 weights with int8-quantized activations from 4
 * rows on (llama.cpp's integer dot), which moves activations, loss and gradients by that rounding.
 */
describe.each([
  { label: 'reference', create: async () => createReferenceBackend(), tolerance: 1e-5 },
  { label: 'wasm', create: () => createWasmBackend({ threads: 2 }), tolerance: 5e-2 },
])('QLoRA on a Q4_0 base ($label)', ({ create, tolerance }) => {
  it(`gives the gradients of LoRA on the dequantized f32 base, same adapters and batch (relative error < ${tolerance})`, async () => {
    const backend = await create();
    const base = initialLlamaWeights(CONFIG, { seed: 5, std: 0.1 });
    const adapter = randomAdapters();
    const dequantized = new Map([...base].map(([name, values]) => [name, LINEAR.test(name) ? dequantizeQ4_0(quantizeQ4_0(values), values.length) : values]));
    const quantized = LlamaTrainingModel.fromWeights(backend, CONFIG, base, { lora: LORA, adapter, baseDtype: 'q4_0' });
    const reference = LlamaTrainingModel.fromWeights(backend, CONFIG, dequantized, { lora: LORA, adapter });
    for (const model of [quantized, reference]) {
      model.forward(batch(), { gradientScale: 1 });
      model.backward();
    }
    for (const parameter of reference.parameters.trainable) {
      const expected = (await backend.read(parameter.grad!)) as Float32Array;
      const actual = (await backend.read(quantized.parameters.get(parameter.name).grad!)) as Float32Array;
      expect(Math.max(...expected.map(Math.abs)), parameter.name).toBeGreaterThan(0);
      expect(relativeError(actual, expected), parameter.name).toBeLessThan(tolerance);
    }
    quantized.dispose();
    reference.dispose();
    backend.dispose();
  });
});

import { createReferenceBackend, createWasmBackend, dequantizeQ8_0, quantizeQ8_0, type Backend } from '@cria/kernels';
import { SeededRandom } from '@cria/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { initialLlamaWeights } from '../model/llama-parameters.js';
import type { TrainingBatch } from '../model/training-batch.js';
import { relativeError } from '../testing/golden-fixture.js';
import { Trainer } from '../trainer.js';
import { mergedWeights } from './merge-lora.js';
import { TINY_TRAINING_CONFIG as CONFIG } from '../testing/tiny-config.js';

const ALL = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;

function randomBatch(seed: number, B = 2, T = 8): TrainingBatch {
  const random = new SeededRandom(seed);
  const ids = Int32Array.from({ length: B * T }, () => Math.floor(random.uniform() * CONFIG.vocabSize));
  const targets = Int32Array.from({ length: B * T }, () => Math.floor(random.uniform() * CONFIG.vocabSize));
  return { batchSize: B, sequenceLength: T, ids, targets };
}

async function logitsOf(model: LlamaTrainingModel, batch: TrainingBatch): Promise<Float32Array> {
  model.forward(batch);
  return model.readLogits();
}

describe('LoRA on a frozen base', () => {
  let backend: Backend;
  const base = initialLlamaWeights(CONFIG, { seed: 3, std: 0.1 });
  beforeAll(async () => {
    backend = createReferenceBackend();
  });
  afterAll(() => backend.dispose());

  it('initialises as PEFT (A in ±1/√in, B = 0), so the adapted model starts equal to the base', async () => {
    const plain = LlamaTrainingModel.fromWeights(backend, CONFIG, base);
    const lora = LlamaTrainingModel.fromWeights(backend, CONFIG, base, { lora: { rank: 4, alpha: 8, targets: ['q', 'v', 'down'], seed: 1 } });
    expect(lora.parameters.trainable.map((p) => p.name)).toEqual([
      'model.layers.0.self_attn.q_proj.lora_A.weight', 'model.layers.0.self_attn.q_proj.lora_B.weight',
      'model.layers.0.self_attn.v_proj.lora_A.weight', 'model.layers.0.self_attn.v_proj.lora_B.weight',
      'model.layers.0.mlp.down_proj.lora_A.weight', 'model.layers.0.mlp.down_proj.lora_B.weight',
      'model.layers.1.self_attn.q_proj.lora_A.weight', 'model.layers.1.self_attn.q_proj.lora_B.weight',
      'model.layers.1.self_attn.v_proj.lora_A.weight', 'model.layers.1.self_attn.v_proj.lora_B.weight',
      'model.layers.1.mlp.down_proj.lora_A.weight', 'model.layers.1.mlp.down_proj.lora_B.weight',
    ]);
    const a = await lora.parameters.readFloat32('model.layers.0.mlp.down_proj.lora_A.weight'); // [4, 128]
    expect(a.length).toBe(4 * 128);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(128));
    expect((await lora.parameters.readFloat32('model.layers.0.mlp.down_proj.lora_B.weight')).every((x) => x === 0)).toBe(true);
    const batch = randomBatch(1);
    expect(await logitsOf(lora, batch)).toEqual(await logitsOf(plain, batch));
    plain.dispose();
    lora.dispose();
  });

  it('merges W + (alpha/r)·B·A into a plain model with the same logits', async () => {
    const lora = LlamaTrainingModel.fromWeights(backend, CONFIG, base, { lora: { rank: 4, alpha: 16, targets: ALL, seed: 2 } });
    const trainer = new Trainer(lora, { schedule: { learningRate: 1e-2, totalSteps: 3, decay: 'constant' } });
    for (let step = 0; step < 3; step++) await trainer.trainStep([randomBatch(10 + step)]);
    const merged = LlamaTrainingModel.fromWeights(backend, CONFIG, await mergedWeights(lora));
    const batch = randomBatch(5);
    const expected = await logitsOf(lora, batch);
    expect(relativeError(await logitsOf(merged, batch), expected)).toBeLessThan(1e-5);
    expect(relativeError(await logitsOf(LlamaTrainingModel.fromWeights(backend, CONFIG, base), batch), expected)).toBeGreaterThan(1e-3);
    trainer.dispose();
    lora.dispose();
    merged.dispose();
  });

  it('QLoRA: a Q8_0 base gives the gradients of an f32 base holding the dequantized weights', async () => {
    const options = { lora: { rank: 4, alpha: 8, targets: ALL, seed: 4 } };
    const quantized = LlamaTrainingModel.fromWeights(backend, CONFIG, base, { ...options, baseDtype: 'q8_0' });
    expect(quantized.parameters.get('model.layers.0.mlp.up_proj.weight').value.dtype).toBe('q8_0');
    const roundTripped = new Map([...base].map(([name, values]) => [name, /_proj\.weight$/.test(name) ? dequantizeQ8_0(quantizeQ8_0(values), values.length) : values]));
    const reference = LlamaTrainingModel.fromWeights(backend, CONFIG, roundTripped, options);
    // B = 0 at init would make A's gradient vanish: one step first gives both a signal.
    for (const model of [quantized, reference]) {
      const trainer = new Trainer(model, { schedule: { learningRate: 1e-2, totalSteps: 1, decay: 'constant' } });
      await trainer.trainStep([randomBatch(20)]);
      model.zeroGradients();
      model.forward(randomBatch(21), { gradientScale: 1 });
      model.backward();
    }
    for (const parameter of reference.parameters.trainable) {
      const expected = (await backend.read(parameter.grad!)) as Float32Array;
      const actual = (await backend.read(quantized.parameters.get(parameter.name).grad!)) as Float32Array;
      expect(relativeError(actual, expected), parameter.name).toBeLessThan(1e-5);
    }
    quantized.dispose();
    reference.dispose();
  });

  it('dropout is seeded (two runs give identical losses) and applies only to training forwards (evaluation equals the merged model)', async () => {
    const options = { lora: { rank: 4, alpha: 8, targets: ALL, dropout: 0.3, seed: 9 } };
    const batch = randomBatch(30);
    const losses = [];
    for (let run = 0; run < 2; run++) {
      const model = LlamaTrainingModel.fromWeights(backend, CONFIG, base, options);
      const trainer = new Trainer(model, { schedule: { learningRate: 1e-2, totalSteps: 4, decay: 'constant' } });
      const run: number[] = [];
      for (let step = 0; step < 4; step++) run.push((await trainer.trainStep([batch])).loss);
      losses.push(run);
      // Evaluation ignores dropout: equal to the merged (dropout-free) model's loss.
      const evaluated = await trainer.evaluate([batch]);
      const merged = LlamaTrainingModel.fromWeights(backend, CONFIG, await mergedWeights(model));
      expect(Math.abs(evaluated - (await new Trainer(merged, { schedule: { learningRate: 0, totalSteps: 1 } }).evaluate([batch])))).toBeLessThan(1e-5);
      trainer.dispose();
      model.dispose();
      merged.dispose();
    }
    expect(losses[0]).toEqual(losses[1]);
  });
});

it('a LoRA adapter on a frozen model learns a token mapping the base cannot do (wasm)', async () => {
  const backend = await createWasmBackend({ threads: 2 });
  const base = initialLlamaWeights(CONFIG, { seed: 5, std: 0.1 });
  // Every target is a fixed permutation of the current token: (7·id + 3) mod 32.
  const [B, T] = [4, 16];
  const random = new SeededRandom(8);
  const ids = Int32Array.from({ length: B * T }, () => Math.floor(random.uniform() * CONFIG.vocabSize));
  const batch: TrainingBatch = { batchSize: B, sequenceLength: T, ids, targets: ids.map((id) => (7 * id + 3) % CONFIG.vocabSize) };
  const model = LlamaTrainingModel.fromWeights(backend, CONFIG, base, { lora: { rank: 16, alpha: 32, targets: ALL, seed: 1 } });
  const steps = 200;
  const trainer = new Trainer(model, { schedule: { learningRate: 2e-2, warmupSteps: 10, totalSteps: steps, decay: 'cosine' } });
  const before = await trainer.evaluate([batch]);
  for (let step = 0; step < steps; step++) await trainer.trainStep([batch]);
  const after = await trainer.evaluate([batch]);
  console.log(`LoRA mapping: loss ${before.toFixed(3)} → ${after.toFixed(4)} after ${steps} steps`);
  expect(before).toBeGreaterThan(3); // ≈ ln 32: the frozen base knows nothing of the mapping
  expect(after).toBeLessThan(0.1);
  // The base did not move.
  expect(await model.parameters.readFloat32('model.layers.0.mlp.up_proj.weight')).toEqual(base.get('model.layers.0.mlp.up_proj.weight'));
  trainer.dispose();
  model.dispose();
  backend.dispose();
});

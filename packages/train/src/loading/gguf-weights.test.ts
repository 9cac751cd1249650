import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWasmBackend, quantizeQ4_0, quantizeQ8_0, type Backend } from '@cria/kernels';
import { GgufFile, openFileSource, permuteForInterleavedRope, TINY_LLAMA, TINY_QWEN2, writeTestModel } from '@cria/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../testing/golden-fixture.js';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import type { TrainingBatch } from '../model/training-batch.js';
import { loadPretrainedWeights } from './pretrained-weights.js';
import { loadGgufTrainingWeights, unpermuteInterleavedRope } from './gguf-weights.js';

const directory = mkdtempSync(join(tmpdir(), 'cria-gguf-training-'));
let backend: Backend;
beforeAll(async () => {
  backend = await createWasmBackend({ threads: 1 });
});
afterAll(() => {
  backend?.dispose();
  rmSync(directory, { recursive: true, force: true });
});

function batchFor(vocabulary: number): TrainingBatch {
  const ids = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + 3) % vocabulary);
  return { batchSize: 2, sequenceLength: 8, ids, targets: ids.map((id, i) => (i % 5 === 0 ? -100 : (id + 1) % vocabulary)) };
}

it('undoes llama.cpp’s q/k row permutation exactly', () => {
  const weight = Float32Array.from({ length: 16 * 3 }, (_, i) => i);
  expect(unpermuteInterleavedRope(permuteForInterleavedRope(weight, 16, 3, 2), 16, 3, 2)).toEqual(weight);
});

describe.each([['llama', TINY_LLAMA], ['qwen2', TINY_QWEN2]] as const)('a %s GGUF as the training input', (name, testConfig) => {
  const modelDirectory = join(directory, name);
  beforeAll(async () => {
    await writeTestModel(modelDirectory, testConfig, { ggufTypes: ['F32', 'Q8_0', 'Q4_0'] });
  });

  it('F32 gives the Hugging Face weights, config, training logits and loss', async () => {
    const hf = await loadPretrainedWeights(join(modelDirectory, 'hf'));
    const gguf = await loadGgufTrainingWeights(join(modelDirectory, 'model-f32.gguf'));
    expect(gguf.baseDtype).toBeUndefined();
    for (const key of ['architecture', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize', 'ropeStyle', 'attentionBias', 'tieWordEmbeddings'] as const) {
      expect(gguf.config[key], key).toEqual(hf.config[key]);
    }
    expect(gguf.config.ropeTheta).toBeCloseTo(hf.config.ropeTheta, 0);
    expect(gguf.config.rmsNormEps).toBeCloseTo(hf.config.rmsNormEps, 9);
    expect([...gguf.weights.keys()].sort()).toEqual([...hf.weights.keys()].sort());
    for (const [key, values] of hf.weights) expect(gguf.weights.get(key), key).toEqual(values);

    const batch = batchFor(hf.config.vocabSize);
    const run = async (config: typeof hf.config, weights: Map<string, Float32Array>) => {
      const model = LlamaTrainingModel.fromWeights(backend, config, weights);
      model.forward(batch, { gradientScale: 1 });
      const result = { logits: await model.readLogits(), loss: await model.readLoss() };
      model.dispose();
      return result;
    };
    const fromHf = await run(hf.config, hf.weights);
    const fromGguf = await run(gguf.config, gguf.weights);
    expect(relativeError(fromGguf.logits, fromHf.logits)).toBeLessThan(1e-6);
    expect(Math.abs(fromGguf.loss - fromHf.loss)).toBeLessThan(1e-6 * fromHf.loss);
  });

  it.each([['Q8_0', 'q8_0', quantizeQ8_0], ['Q4_0', 'q4_0', quantizeQ4_0]] as const)('%s: reports the quantized base, whose blocks requantize to the file’s', async (type, baseDtype, quantize) => {
    const path = join(modelDirectory, `model-${type.toLowerCase()}.gguf`);
    const gguf = await loadGgufTrainingWeights(path);
    expect(gguf.baseDtype).toBe(baseDtype);
    const file = await GgufFile.open(await openFileSource(path));
    try {
      // v_proj is not permuted, so its dequantized rows are the file's rows.
      const stored = await file.readBytes('blk.0.attn_v.weight');
      expect(quantize(gguf.weights.get('model.layers.0.self_attn.v_proj.weight')!)).toEqual(stored);
    } finally {
      await file.close();
    }
    const model = LlamaTrainingModel.fromWeights(backend, gguf.config, gguf.weights, { lora: { rank: 2, alpha: 4, targets: ['q', 'v'], seed: 1 }, baseDtype });
    model.forward(batchFor(gguf.config.vocabSize), { gradientScale: 1 });
    expect(Number.isFinite(await model.readLoss())).toBe(true);
    model.dispose();
  });
});

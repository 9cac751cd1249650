import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend, createWasmBackend, dequantizeQ4_0, dequantizeQ8_0, quantizeQ4_0, quantizeQ8_0, type Backend } from '@cria/kernels';
import { createEngine, loadModel, MemoryByteSource, SafetensorsFile, SeededRandom, TINY_LLAMA, TINY_QWEN2, writeTestModel, type ModelConfig } from '@cria/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPretrainedWeights } from '../loading/pretrained-weights.js';
import { readAllWeights } from '../loading/read-all-weights.js';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import type { TrainingBatch } from '../model/training-batch.js';
import { mergedWeights } from '../lora/merge-lora.js';
import { relativeError } from '../testing/golden-fixture.js';
import { Trainer } from '../trainer.js';
import { exportGguf, type GgufExportType } from './gguf-export.js';
import { ggufTokenizerMetadata } from './gguf-tokenizer.js';
import { exportHfModel } from './hf-export.js';
import { exportPeftAdapter, loadPeftAdapter, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft-adapter.js';

const T = 12;
const ids = Int32Array.from({ length: T }, (_, i) => (37 * i + 11) % 300);
const batch: TrainingBatch = { batchSize: 1, sequenceLength: T, ids, targets: ids.map((_, i) => ids[(i + 1) % T]!) };

async function logitsOf(model: LlamaTrainingModel): Promise<Float32Array> {
  model.forward(batch);
  return model.readLogits();
}

/** A few LoRA steps on random data, so the adapter is far from its zero-B start. */
async function trainLora(model: LlamaTrainingModel): Promise<void> {
  const random = new SeededRandom(3);
  const trainer = new Trainer(model, { schedule: { learningRate: 2e-2, totalSteps: 4, decay: 'constant' } });
  for (let step = 0; step < 4; step++) {
    const tokens = Int32Array.from({ length: 2 * T }, () => Math.floor(random.uniform() * 300));
    await trainer.trainStep([{ batchSize: 2, sequenceLength: T, ids: tokens, targets: tokens.map((id) => (id * 5) % 300) }]);
  }
  trainer.dispose();
}

describe.each([['llama', TINY_LLAMA], ['qwen2', TINY_QWEN2]] as const)('export of a fine-tuned %s', (_name, testConfig) => {
  let backend: Backend;
  let directory: string;
  let base: { config: ModelConfig; weights: Map<string, Float32Array> };
  let lora: LlamaTrainingModel;
  let expected: Float32Array;
  beforeAll(async () => {
    backend = await createWasmBackend({ threads: 2 });
    directory = mkdtempSync(join(tmpdir(), 'cria-export-'));
    await writeTestModel(directory, testConfig, { ggufTypes: [] });
    const source = await openPretrainedWeights(join(directory, 'hf'));
    base = { config: source.config, weights: await readAllWeights(source) };
    lora = LlamaTrainingModel.fromWeights(backend, base.config, base.weights, { lora: { rank: 4, alpha: 8, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], dropout: 0.1, seed: 5 } });
    await trainLora(lora);
    expected = await logitsOf(lora);
  });
  afterAll(() => {
    lora?.dispose();
    backend?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('writes a PEFT adapter whose keys, shapes and config follow the PEFT format', async () => {
    const out = join(directory, 'adapter');
    await exportPeftAdapter(lora, out, 'cria/tiny');
    const config = JSON.parse(readFileSync(join(out, PEFT_CONFIG_FILE), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, lora_dropout: 0.1, bias: 'none', base_model_name_or_path: 'cria/tiny',
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });
    const file = await SafetensorsFile.open(new MemoryByteSource(new Uint8Array(readFileSync(join(out, PEFT_WEIGHTS_FILE))), 'adapter'));
    const { hiddenSize: C, intermediateSize: I, numKvHeads: KV, headDim: D } = base.config;
    expect(file.tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')).toMatchObject({ dtype: 'F32', shape: [4, C] });
    expect(file.tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')).toMatchObject({ shape: [C, 4] });
    expect(file.tensors.get('base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight')).toMatchObject({ shape: [KV * D, 4] });
    expect(file.tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight')).toMatchObject({ shape: [4, I] });
    expect(file.tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')).toMatchObject({ shape: [C, 4] });
    expect(file.tensors.size).toBe(2 * 7 * base.config.numLayers);
    for (const name of file.tensors.keys()) expect(name).toMatch(/^base_model\.model\.model\.layers\.\d+\.(self_attn|mlp)\.[a-z]+_proj\.lora_[AB]\.weight$/);
  });

  it('round-trips the PEFT adapter: base + adapter gives the trained model\'s logits, and so does the merged model', async () => {
    const out = join(directory, 'adapter-round-trip');
    await exportPeftAdapter(lora, out);
    const adapter = await loadPeftAdapter(out);
    const reloaded = LlamaTrainingModel.fromWeights(backend, base.config, base.weights, { lora: adapter.lora, adapter: adapter.weights });
    expect(await logitsOf(reloaded)).toEqual(expected);
    const merged = LlamaTrainingModel.fromWeights(backend, base.config, await mergedWeights(reloaded));
    expect(relativeError(await logitsOf(merged), expected)).toBeLessThan(1e-5);
    const plain = LlamaTrainingModel.fromWeights(backend, base.config, base.weights);
    expect(relativeError(await logitsOf(plain), expected)).toBeGreaterThan(1e-3); // the adapter matters
    for (const model of [reloaded, merged, plain]) model.dispose();
  });

  it('exports a Hugging Face model that @cria/runtime loads with the same logits', async () => {
    const out = join(directory, 'hf-export');
    const copy = (name: string) => readFileSync(join(directory, 'hf', name));
    await exportHfModel(lora, out, { extraFiles: { 'tokenizer.json': copy('tokenizer.json'), 'tokenizer_config.json': copy('tokenizer_config.json') } });
    const loaded = await loadModel(out, backend);
    const logits = await loaded.model.forward([...ids], loaded.model.createCache(T), true);
    expect(relativeError(logits, expected)).toBeLessThan(1e-4);
    const engine = await createEngine({ model: out, backend: 'wasm' });
    const reply = await engine.completions.create({ prompt: 'hello', max_tokens: 3, temperature: 0 });
    expect(reply.usage.completion_tokens).toBeGreaterThan(0);
    await engine.dispose?.();
  });

  /**
   * Errors relative to the logits' largest magnitude. Against the trained model itself: F32 1e-4,
   * F16 5e-3 (measured in the test log). Q8_0/Q4_0 lose more than a tolerance could bound
   * meaningfully (Q4_0 moves the tiny model's logits by ~30%), so they are compared with the
   * training model holding the same quantized-then-dequantized matrices (1e-4; measured ≤ 1e-6).
   * They run on the reference backend: the wasm one multiplies quantized weights with int8-quantized
   * activations (llama.cpp's scheme), ~1e-2 of noise that would hide a wrong block or scale.
   */
  const TOLERANCES: Record<GgufExportType, number> = { F32: 1e-4, F16: 5e-3, Q8_0: 1e-4, Q4_0: 1e-4 };
  it.each(Object.keys(TOLERANCES) as GgufExportType[])('exports a %s GGUF that @cria/runtime loads with the same logits', async (type) => {
    const path = join(directory, `export-${type}.gguf`);
    const tokenizer = ggufTokenizerMetadata(readFileSync(join(directory, 'hf', 'tokenizer.json'), 'utf8'), readFileSync(join(directory, 'hf', 'tokenizer_config.json'), 'utf8'), { vocabSize: base.config.vocabSize });
    await exportGguf(lora, path, { type, tokenizer });
    const quantized = type === 'Q8_0' || type === 'Q4_0';
    const runtimeBackend = quantized ? createReferenceBackend() : backend;
    const loaded = await loadModel(path, runtimeBackend);
    const logits = await loaded.model.forward([...ids], loaded.model.createCache(T), true);
    if (quantized) runtimeBackend.dispose();
    let reference = expected;
    if (quantized) {
      const [quantize, dequantize] = type === 'Q8_0' ? [quantizeQ8_0, dequantizeQ8_0] : [quantizeQ4_0, dequantizeQ4_0];
      const roundTripped = new Map([...(await mergedWeights(lora))].map(([name, values]) => [name, name.endsWith('norm.weight') || name.endsWith('.bias') ? values : dequantize(quantize(values), values.length)]));
      const quantizedTwin = LlamaTrainingModel.fromWeights(backend, base.config, roundTripped);
      reference = await logitsOf(quantizedTwin);
      quantizedTwin.dispose();
    }
    const error = relativeError(logits, reference);
    console.log(`${testConfig.architecture} GGUF ${type}: logits error ${error.toExponential(2)} (against the trained model: ${relativeError(logits, expected).toExponential(2)})`);
    expect(error).toBeLessThan(TOLERANCES[type]);
  });
});

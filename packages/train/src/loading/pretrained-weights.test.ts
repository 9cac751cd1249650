import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatBytes, configFromHf, encodeSafetensors, MemoryByteSource, SafetensorsFile, TINY_LLAMA, TINY_QWEN2, writeTestModel, type SafetensorsWriteTensor } from '@cria/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingInputError } from '../errors.js';
import type { LoraOptions } from '../lora/lora-options.js';
import { initialLlamaWeights } from '../model/llama-parameters.js';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { fingerprint, recordingSource } from '../testing/model-parity.js';
import { sharedWasmBackend, temporaryDirectory } from '../testing/test-resources.js';
import { openPretrainedWeights } from './pretrained-weights.js';
import { readAllWeights } from './read-all-weights.js';

const directory = temporaryDirectory('cria-pretrained-training-');
const backend = sharedWasmBackend();
const LORA: LoraOptions = { rank: 2, alpha: 4, targets: ['q', 'v', 'up'], seed: 3 };

describe.each([['llama F32', TINY_LLAMA, 'F32'], ['qwen2 BF16', TINY_QWEN2, 'BF16']] as const)('a Hugging Face %s checkpoint', (name, testConfig, hfDtype) => {
  const modelDirectory = join(directory, name.replace(' ', '-'), 'hf');
  beforeAll(async () => {
    await writeTestModel(join(directory, name.replace(' ', '-')), testConfig, { ggufTypes: [], hfDtype });
  });

  it.each([
    { mode: 'full', options: {} },
    { mode: 'LoRA', options: { lora: LORA } },
    { mode: 'QLoRA q8_0', options: { lora: LORA, baseDtype: 'q8_0' } },
    { mode: 'QLoRA q4_0', options: { lora: LORA, baseDtype: 'q4_0' } },
  ] as const)('$mode: load gives the model the all-f32 map gave', async ({ options }) => {
    const source = await openPretrainedWeights(modelDirectory);
    const before = await fingerprint(LlamaTrainingModel.fromWeights(backend(), source.config, await readAllWeights(source), options));
    const { source: recorded, reads, closed } = recordingSource(await openPretrainedWeights(modelDirectory), () => backend().bytesInUse);
    const after = await fingerprint(await LlamaTrainingModel.load(backend(), recorded, options));
    expect(after.parameters).toEqual(before.parameters);
    expect(after.logits).toEqual(before.logits);
    expect(after.loss).toBe(before.loss);
    expect(closed()).toBe(true);
    for (let i = 1; i < reads.length; i++) expect(reads[i]!.backendBytesBefore, reads[i]!.name).toBeGreaterThan(reads[i - 1]!.backendBytesBefore);
  });
});

it('reports progress per tensor and stops on abort, freeing what it uploaded and closing the source', async () => {
  const modelDirectory = join(directory, 'llama-F32', 'hf');
  const progress: number[] = [];
  let total = 0;
  const model = await LlamaTrainingModel.load(backend(), await openPretrainedWeights(modelDirectory), {
    onProgress: ({ loadedBytes, totalBytes }) => {
      progress.push(loadedBytes);
      total = totalBytes;
    },
  });
  expect(progress).toHaveLength(model.parameters.all.length);
  expect(progress.at(-1)).toBe(total);
  expect(total).toBe(4 * model.parameters.count); // an F32 checkpoint stores 4 bytes per parameter
  model.dispose();

  const before = backend().bytesInUse;
  const controller = new AbortController();
  const { source, closed } = recordingSource(await openPretrainedWeights(modelDirectory), () => backend().bytesInUse);
  const loading = LlamaTrainingModel.load(backend(), source, { signal: controller.signal, onProgress: ({ item }) => item === 'model.layers.0.mlp.up_proj.weight' && controller.abort() });
  await expect(loading).rejects.toThrow(/abort/i);
  expect(backend().bytesInUse).toBe(before);
  expect(closed()).toBe(true);
});

describe('a model from scratch', () => {
  const config = configFromHf({ architectures: ['LlamaForCausalLM'], vocab_size: 96, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
  it.each([
    { mode: 'full', options: {} },
    { mode: 'QLoRA q4_0', options: { lora: LORA, baseDtype: 'q4_0' } },
  ] as const)('$mode: initialize (one tensor drawn at a time) gives the model of the whole initial map', async ({ options }) => {
    const init = { seed: 9, std: 0.05, padTokenId: 3 };
    const before = await fingerprint(LlamaTrainingModel.fromWeights(backend(), config, initialLlamaWeights(config, init), options));
    const after = await fingerprint(LlamaTrainingModel.initialize(backend(), config, init, options));
    expect(after.parameters).toEqual(before.parameters);
    expect(after.logits).toEqual(before.logits);
  });
});

/** A copy of the tiny Llama's directory with its safetensors tensors changed. */
async function alteredCheckpoint(label: string, change: (tensors: SafetensorsWriteTensor[]) => SafetensorsWriteTensor[]): Promise<string> {
  const source = join(directory, 'llama-F32', 'hf');
  const target = join(directory, label);
  mkdirSync(target, { recursive: true });
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(target, file), readFileSync(join(source, file)));
  const reader = await SafetensorsFile.open(new MemoryByteSource(new Uint8Array(readFileSync(join(source, 'model.safetensors')))));
  const tensors: SafetensorsWriteTensor[] = [];
  for (const info of reader.tensors.values()) tensors.push({ name: info.name, dtype: 'F32', shape: info.shape, data: (await reader.read(info.name)).data as Float32Array });
  writeFileSync(join(target, 'model.safetensors'), concatBytes(encodeSafetensors(change(tensors))));
  return target;
}

describe('a checkpoint that does not match its config.json gets a typed error before anything is uploaded', () => {
  it('a missing tensor', async () => {
    const path = await alteredCheckpoint('missing', (tensors) => tensors.filter((tensor) => tensor.name !== 'model.layers.1.mlp.up_proj.weight'));
    const opening = openPretrainedWeights(path);
    await expect(opening).rejects.toThrow(TrainingInputError);
    await expect(opening).rejects.toThrow(/model\.layers\.1\.mlp\.up_proj\.weight: expected a tensor of shape \[128, 64\], got nothing/);
  });

  it('a tensor of the wrong shape', async () => {
    const path = await alteredCheckpoint('reshaped', (tensors) => tensors.map((tensor) => (tensor.name === 'model.norm.weight' ? { ...tensor, shape: [32, 2] } : tensor)));
    await expect(openPretrainedWeights(path)).rejects.toThrow(/model\.norm\.weight: expected shape \[64\], got \[32, 2\]/);
  });
});

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createReferenceBackend, createWasmBackend, type Backend } from '@cria/kernels';
import { concatBytes, configFromHf, encodeSafetensors, MemoryByteSource, SafetensorsFile } from '@cria/runtime';
import { describe, expect, it } from 'vitest';
import { DataLoader } from '../data/data-loader.js';
import { packExamples } from '../data/packing.js';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { Trainer, type TrainerOptions } from '../trainer.js';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { temporaryDirectory } from '../testing/test-resources.js';

const CONFIG = configFromHf({ architectures: ['LlamaForCausalLM'], vocab_size: 32, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
const OPTIONS: TrainerOptions = { weightDecay: 0.1, maxGradNorm: 1, schedule: { learningRate: 1e-2, warmupSteps: 2, totalSteps: 8 } };
const SEEDS = { model: 1, data: 2 };
const directory = temporaryDirectory('cria-train-checkpoint-');

function loader(): DataLoader {
  const examples = Array.from({ length: 12 }, (_, i) => {
    const ids = Array.from({ length: 3 + (i % 5) }, (_, t) => (i * 7 + t * 3) % 32);
    return { ids, lossMask: ids.map((_, t) => (t > 0 ? 1 : 0)) };
  });
  return new DataLoader(packExamples(examples, { sequenceLength: 12, padId: 0 }), { batchSize: 2, seed: SEEDS.data });
}

async function run(backend: Backend, steps: number, from?: string, saveTo?: string): Promise<number[]> {
  const model = LlamaTrainingModel.initialize(backend, CONFIG, { seed: SEEDS.model });
  const trainer = new Trainer(model, OPTIONS);
  const data = loader();
  if (from) data.seek((await loadCheckpoint(from, trainer)).data);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await trainer.trainStep([data.next()])).loss);
  if (saveTo) await saveCheckpoint(saveTo, trainer, { step: trainer.step, data: data.position, seeds: SEEDS });
  trainer.dispose();
  model.dispose();
  return losses;
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['reference', async () => createReferenceBackend()],
  ['wasm', () => createWasmBackend({ threads: 2 })],
];

describe.each(BACKENDS)('checkpoints on %s', (name, create) => {
  it('resume continues bit-exactly: 3 steps + save + load + 5 steps = 8 uninterrupted steps', async () => {
    const backend = await create();
    const straight = await run(backend, 8);
    const path = join(directory, `${name}.safetensors`);
    const first = await run(backend, 3, undefined, path);
    const second = await run(backend, 5, path);
    expect([...first, ...second]).toEqual(straight);
    expect(straight.at(-1)!).toBeLessThan(straight[0]!);
    expect(readdirSync(directory).filter((file) => file.includes('.tmp-'))).toEqual([]);
    backend.dispose();
  });
});

it('rejects a file that is not a checkpoint, with a typed error', async () => {
  const path = join(directory, 'not-a-checkpoint.safetensors');
  const header = Buffer.from(JSON.stringify({ __metadata__: { magic: 'something-else' } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([length, header]));
  const backend = createReferenceBackend();
  const model = LlamaTrainingModel.initialize(backend, CONFIG, { seed: 1 });
  await expect(loadCheckpoint(path, new Trainer(model, OPTIONS))).rejects.toThrow(CheckpointError);
});

it('refuses a checkpoint missing a tensor before writing anything into the model', async () => {
  const backend = createReferenceBackend();
  const saved = new Trainer(LlamaTrainingModel.initialize(backend, CONFIG, { seed: 1 }), OPTIONS);
  const path = join(directory, 'complete.safetensors');
  await saveCheckpoint(path, saved, { step: 0, data: { epoch: 0, batch: 0 }, seeds: SEEDS });
  const reader = await SafetensorsFile.open(new MemoryByteSource(new Uint8Array(readFileSync(path)), path));
  const tensors = [];
  for (const info of reader.tensors.values()) {
    if (info.name !== 'adam.v.model.norm.weight') tensors.push({ name: info.name, dtype: 'F32' as const, shape: info.shape, data: (await reader.read(info.name)).data as Float32Array });
  }
  const broken = join(directory, 'broken.safetensors');
  writeFileSync(broken, concatBytes(encodeSafetensors(tensors, reader.metadata)));

  const model = LlamaTrainingModel.initialize(backend, CONFIG, { seed: 2 });
  const before = await model.parameters.readAll();
  await expect(loadCheckpoint(broken, new Trainer(model, OPTIONS))).rejects.toThrow(/tensor 'adam\.v\.model\.norm\.weight' is missing/);
  expect(await model.parameters.readAll()).toEqual(before);
});

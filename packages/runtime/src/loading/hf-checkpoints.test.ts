// Hugging Face checkpoints in the forms they ship in (F16 and BF16 safetensors, sharded with an
// index), loaded through createEngine into a running model and compared with the forms already
// checked against llama.cpp (the F32 checkpoint, the F16 GGUF).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../engine/create-engine.js';
import type { SafetensorsDType } from '../formats/safetensors/safetensors-header.js';
import { TINY_LLAMA, TINY_QWEN2, type TestModelConfig } from '../formats/test-model/test-model-config.js';
import { writeTestModel } from '../formats/test-model/write-test-model.js';

const IDS = [1, 5, 60, 70, 80, 90, 33];

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cria-hf-checkpoints-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

/** Next-token logits [IDS.length, vocab] of the model at `path`, on the reference backend. */
async function logitsOf(path: string): Promise<Float32Array> {
  const engine = await createEngine({ model: path, backend: 'reference', contextLength: 16 });
  try {
    return await engine.logits(IDS);
  } finally {
    await engine.dispose();
  }
}

async function writeHf(name: string, config: TestModelConfig, hfDtype: SafetensorsDType, ggufTypes: Array<'F16'> = []): Promise<string> {
  await writeTestModel(join(directory, name), config, { hfDtype, ggufTypes });
  return join(directory, name);
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('Hugging Face checkpoints by element type', () => {
  let f32: Float32Array;
  beforeAll(async () => {
    f32 = await logitsOf(join(await writeHf('llama-f32', TINY_LLAMA, 'F32'), 'hf'));
  });

  it('F16 safetensors match the F16 GGUF of the same weights (whose norms stay F32, as llama.cpp writes them)', async () => {
    const model = await writeHf('llama-f16', TINY_LLAMA, 'F16', ['F16']);
    const fromSafetensors = await logitsOf(join(model, 'hf'));
    const versusGguf = maxAbsDifference(fromSafetensors, await logitsOf(join(model, 'model-f16.gguf')));
    const versusF32 = maxAbsDifference(fromSafetensors, f32);
    console.log(`F16 safetensors: max |Δlogit| vs F16 GGUF ${versusGguf.toFixed(5)}, vs F32 ${versusF32.toFixed(5)}`);
    expect(versusF32).toBeGreaterThan(0); // the f16 path really ran
    expect(versusF32).toBeLessThan(0.05);
    expect(versusGguf).toBeLessThan(0.02);
  });

  it('BF16 safetensors load as bf16 (3 fewer mantissa bits than f16: larger, still small, differences)', async () => {
    const model = await writeHf('llama-bf16', TINY_LLAMA, 'BF16');
    const difference = maxAbsDifference(await logitsOf(join(model, 'hf')), f32);
    console.log(`BF16 safetensors: max |Δlogit| vs F32 ${difference.toFixed(5)}`);
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(0.25);
  });
});

describe('sharded Hugging Face checkpoints', () => {
  it('three shards and their index give exactly the logits of the one-file checkpoint (Qwen2, with biases)', async () => {
    const whole = join(await writeHf('qwen2-f32', TINY_QWEN2, 'F32'), 'hf');
    // Tensors dealt round-robin over the shards, so every layer's tensors are spread over several files.
    await writeTestModel(join(directory, 'qwen2-sharded'), TINY_QWEN2, { hfShards: 3, ggufTypes: [] });
    const sharded = join(directory, 'qwen2-sharded', 'hf');
    expect((await readdir(sharded)).filter((file) => file.endsWith('.safetensors'))).toEqual([1, 2, 3].map((shard) => `model-0000${shard}-of-00003.safetensors`));
    expect(Array.from(await logitsOf(sharded))).toEqual(Array.from(await logitsOf(whole)));
  });
});

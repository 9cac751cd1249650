import { createBackend } from '@cria/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../loading/load-model.js';
import { writeTestModels, type TestModelFiles } from '../testing/test-model-files.js';

/**
 * Parity with llama.cpp (through node-llama-cpp's prebuilt CPU binaries) on the same GGUF files.
 * Cria runs on the reference backend (f64 accumulation), so the differences measured are llama.cpp's:
 * its KV cache is F16 by default (≈0.01 on F32 weights), its CPU matmul converts activations to F16
 * for F16 weights and quantizes them to Q8_0 for Q8_0/Q4_0 weights, hence a looser logit tolerance
 * for those types. Measured: F32 0.007–0.013, F16 0.015–0.016, Q8_0 0.26–0.30, Q4_0 0.19–0.23.
 * Logits of the test models have std 4 (top logits 13–20).
 */
const LOGIT_TOLERANCE = { f32: 0.05, f16: 0.05, q8_0: 0.5, q4_0: 0.5 } as const;
const TYPES = Object.keys(LOGIT_TOLERANCE) as Array<keyof typeof LOGIT_TOLERANCE>;
const GENERATED = 32;
const PROMPT = [5, 60, 70, 80, 90, 100, 33, 44];

type NodeLlama = Awaited<ReturnType<typeof import('node-llama-cpp')['getLlama']>>;

let files: TestModelFiles;
let llama: NodeLlama | undefined;
let unavailable = '';

beforeAll(async () => {
  files = await writeTestModels();
  try {
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  } catch (error) {
    unavailable = (error as Error).message;
  }
});

afterAll(async () => {
  await llama?.dispose();
  await files?.remove();
});

/** llama.cpp's greedy continuation of PROMPT, and its logits after every position of prompt + continuation. */
async function llamaCpp(path: string, vocab: number) {
  const model = await llama!.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: 256, threads: 2 });
  try {
    const sequence = context.getSequence();
    const generated: number[] = [];
    for await (const token of sequence.evaluate(PROMPT, { temperature: 0 })) {
      generated.push(token);
      if (generated.length >= GENERATED) break;
    }
    await sequence.clearHistory();
    const ids = [...PROMPT, ...generated.slice(0, -1)];
    const outputs = await sequence.controlledEvaluate(ids.map((id) => [id, { generateNext: { logits: true } }]));
    const logits = new Float32Array(ids.length * vocab);
    outputs.forEach((output, position) => {
      for (const [id, value] of output!.next.logits!) logits[position * vocab + id] = value;
    });
    return { generated, ids, logits };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

/** Cria's own greedy continuation (free-running, KV cache) and its logits on the same ids. */
async function cria(path: string, ids: number[]) {
  const backend = await createBackend({ backend: 'reference' });
  try {
    const { model } = await loadModel(path, backend);
    const cache = model.createCache(64);
    let logits = await model.forward(PROMPT, cache);
    const generated: number[] = [];
    while (generated.length < GENERATED) {
      const next = logits.indexOf(Math.max(...logits));
      generated.push(next);
      logits = await model.forward([next], cache);
    }
    const teacherForced = await model.forward(ids, model.createCache(ids.length), true);
    return { generated, logits: teacherForced, vocab: model.config.vocabSize };
  } finally {
    backend.dispose();
  }
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe.each(['llama', 'qwen2', 'llama3'] as const)('%s GGUF: Cria vs llama.cpp', (arch) => {
  it.each(TYPES)('%s: identical greedy tokens for 32 steps, logits within tolerance', async (type) => {
    // A missing peer fails the test: parity that was never compared must not read as parity.
    if (!llama) throw new Error(`node-llama-cpp did not load, so parity with llama.cpp cannot be checked: ${unavailable}. It ships prebuilt CPU binaries for linux/macOS/Windows (x64, arm64); reinstall the workspace with \`npm ci\`.`);
    const path = `${files[arch]}/model-${type}.gguf`;
    const reference = await llamaCpp(path, 320);
    const ours = await cria(path, reference.ids);
    expect(ours.generated).toEqual(reference.generated);
    const difference = maxAbsDifference(ours.logits, reference.logits);
    console.log(`${arch} ${type}: max |Δlogit| vs llama.cpp over ${reference.ids.length} positions = ${difference.toFixed(4)}`);
    expect(difference).toBeLessThan(LOGIT_TOLERANCE[type]);
  });
});

describe.each(['llama', 'qwen2', 'llama3'] as const)('%s: Hugging Face safetensors and GGUF forms', (arch) => {
  it('give the same logits in Cria (F32)', async () => {
    const ids = [...PROMPT, 7, 8, 9];
    const fromHf = await cria(`${files[arch]}/hf`, ids);
    const fromGguf = await cria(`${files[arch]}/model-f32.gguf`, ids);
    expect(maxAbsDifference(fromHf.logits, fromGguf.logits)).toBeLessThan(1e-4);
    expect(fromHf.generated).toEqual(fromGguf.generated);
  });
});

import { join } from 'node:path';
import { createWasmBackend, createWebGPUBackend, type Backend } from '@cria/kernels';
import { createEngine } from '@cria/runtime';
import { loadTokenizer, type Tokenizer } from '@cria/tokenizer';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataLoader } from '../data/data-loader.js';
import { packExamples } from '../data/packing.js';
import { tokenizeExample } from '../data/training-example.js';
import { TrainingInputError } from '../errors.js';
import { exportHfModel } from '../export/hf-export.js';
import { openPretrainedWeights } from '../loading/pretrained-weights.js';
import { LlamaTrainingModel, type ModelOptions } from '../model/llama-training-model.js';
import { tinyLlamaCheckpoint } from '../testing/test-resources.js';
import { Trainer } from '../trainer.js';
import { generateText } from './generate-text.js';

// Sampling from the weights being trained, checked against the exported model run by createEngine:
// the same runtime forward over the training tensors (LoRA unmerged) must give the same greedy text.
const PAIRS = Array.from({ length: 8 }, (_, i) => ({ prompt: `say ${i}`, completion: ` ${i} ${i} ${i}` }));
const CHATS = Array.from({ length: 8 }, (_, i) => ({ messages: [{ role: 'user' as const, content: `say ${i}` }, { role: 'assistant' as const, content: `${i}, ${i}!` }] }));
const CHAT = [{ role: 'user' as const, content: 'say 3' }];

type WasmBackend = Backend & { readonly bytesInUse: number };

const { directory, hf: modelDirectory } = tinyLlamaCheckpoint('cria-generate-text-');
let tokenizer: Tokenizer;

beforeAll(async () => {
  tokenizer = loadTokenizer(await readFile(join(modelDirectory, 'tokenizer.json'), 'utf8'), await readFile(join(modelDirectory, 'tokenizer_config.json'), 'utf8'));
});

/** A model trained `steps` steps on PAIRS and CHATS (enough to change its greedy answers). */
async function trainedModel(backend: Backend, options: ModelOptions, steps: number): Promise<{ model: LlamaTrainingModel; trainer: Trainer; data: DataLoader }> {
  const model = await LlamaTrainingModel.load(backend, await openPretrainedWeights(modelDirectory), options);
  const packed = packExamples([...PAIRS, ...CHATS].map((example) => tokenizeExample(tokenizer, example)), { sequenceLength: 64, padId: tokenizer.eosTokenId ?? 0 });
  expect(packed.stats.overlongSamples).toBe(0);
  const data = new DataLoader(packed, { batchSize: 2, seed: 1 });
  const trainer = new Trainer(model, { schedule: { learningRate: options.lora ? 1e-2 : 3e-3, warmupSteps: 0, totalSteps: steps, decay: 'constant' } });
  for (let step = 0; step < steps; step++) await trainer.trainStep([data.next()]);
  return { model, trainer, data };
}

async function engineText(path: string, request: { prompt: string } | { messages: typeof CHAT }): Promise<string> {
  const engine = await createEngine({ model: path, backend: 'wasm' });
  try {
    const reply = 'prompt' in request
      ? (await engine.completions.create({ prompt: request.prompt, temperature: 0, max_tokens: 12 })).choices[0].text
      : (await engine.chat.completions.create({ messages: request.messages, temperature: 0, max_tokens: 12 })).choices[0].message.content;
    return reply ?? '';
  } finally {
    await engine.dispose();
  }
}

describe.each([
  ['full fine-tuning', {}],
  ['LoRA (unmerged adapters on q, v, up)', { lora: { rank: 8, alpha: 16, targets: ['q', 'v', 'up'], seed: 1 } }],
  ['QLoRA (Q8_0 base, adapters on every linear)', { lora: { rank: 8, alpha: 16, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 }, baseDtype: 'q8_0' }],
] as const)('generateText on the training weights, %s', (name, options) => {
  it('gives the greedy text of the exported model in createEngine, for a prompt and for a chat', async () => {
    const backend = (await createWasmBackend()) as WasmBackend;
    const { model, trainer } = await trainedModel(backend, options as ModelOptions, 40);
    try {
      const fromTraining = await generateText(model, tokenizer, { prompt: 'say 5', maxTokens: 12 });
      const chatFromTraining = await generateText(model, tokenizer, { messages: CHAT, maxTokens: 12 });
      const exported = join(directory, `exported-${name.split(' ')[0]}`);
      await exportHfModel(model, exported, { extraFiles: { 'tokenizer.json': await readFile(join(modelDirectory, 'tokenizer.json'), 'utf8'), 'tokenizer_config.json': await readFile(join(modelDirectory, 'tokenizer_config.json'), 'utf8') } });
      const fromEngine = await engineText(exported, { prompt: 'say 5' });
      const chatFromEngine = await engineText(exported, { messages: CHAT });
      const fromBase = await engineText(modelDirectory, { prompt: 'say 5' });
      console.log(`${name}: training weights ${JSON.stringify(fromTraining.text)} (${fromTraining.finishReason}), exported ${JSON.stringify(fromEngine)}, untrained base ${JSON.stringify(fromBase)}; chat ${JSON.stringify(chatFromTraining.text)}`);
      expect(fromTraining.text).toBe(fromEngine);
      expect(chatFromTraining.text).toBe(chatFromEngine);
      expect(fromTraining.text).not.toBe(fromBase); // the trained weights (the adapters, for LoRA) are what ran
      expect(fromTraining.text).toMatch(/^ 5 5 5/);
      expect(chatFromTraining.text).toMatch(/^3, 3!/);
    } finally {
      trainer.dispose();
      model.dispose();
      backend.dispose();
    }
  });
});

describe('generateText on WebGPU (SwiftShader)', () => {
  it('gives the greedy text of the same LoRA weights on wasm', async () => {
    const wasm = await createWasmBackend();
    const lora = { rank: 8, alpha: 16, targets: ['q', 'v', 'up'], seed: 1 } as const;
    const { model, trainer } = await trainedModel(wasm, { lora: { ...lora, targets: [...lora.targets] } }, 40);
    const adapter = await model.parameters.readAll(model.parameters.trainable.map((parameter) => parameter.name));
    const onWasm = await generateText(model, tokenizer, { prompt: 'say 6', maxTokens: 8 });
    trainer.dispose();
    model.dispose();
    wasm.dispose();
    const gpu = await createWebGPUBackend();
    const onGpu = await LlamaTrainingModel.load(gpu, await openPretrainedWeights(modelDirectory), { lora: { ...lora, targets: [...lora.targets] }, adapter });
    try {
      const text = (await generateText(onGpu, tokenizer, { prompt: 'say 6', maxTokens: 8 })).text;
      console.log(`webgpu ${JSON.stringify(text)}, wasm ${JSON.stringify(onWasm.text)}`);
      expect(text).toBe(onWasm.text);
      expect(text).toMatch(/^ 6 6 6/);
    } finally {
      onGpu.dispose();
      gpu.dispose();
    }
  }, 60_000);
});

describe('generateText memory and side effects', () => {
  it('allocates no weight copy (only the KV cache and per-chunk scratch) and frees it all', async () => {
    for (const options of [{}, { lora: { rank: 8, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 } }] as ModelOptions[]) {
      const backend = (await createWasmBackend()) as WasmBackend;
      const { model, trainer } = await trainedModel(backend, options, 2);
      const weightBytes = model.parameters.all.reduce((sum, parameter) => sum + parameter.value.size * 4, 0);
      const before = backend.bytesInUse;
      let peak = before;
      const tensor = backend.tensor.bind(backend);
      backend.tensor = (...args: Parameters<Backend['tensor']>) => {
        const allocated = tensor(...args);
        peak = Math.max(peak, backend.bytesInUse);
        return allocated;
      };
      const maxTokens = 8;
      const { promptTokens } = await generateText(model, tokenizer, { prompt: 'say 1', maxTokens });
      const { numLayers, numKvHeads, headDim } = model.config;
      const cacheBytes = 2 * numLayers * (promptTokens + maxTokens) * numKvHeads * headDim * 4;
      console.log(`generateText (${options.lora ? 'LoRA' : 'full'}): weights ${weightBytes} B; peak extra ${peak - before} B (KV cache ${cacheBytes} B); after ${backend.bytesInUse - before} B`);
      expect(peak - before).toBeLessThan(weightBytes / 4);
      expect(backend.bytesInUse).toBe(before);
      trainer.dispose();
      model.dispose();
      backend.dispose();
    }
  });

  it('leaves training bit-identical: the same losses with and without sampling between steps', async () => {
    const losses = async (sampleBetweenSteps: boolean) => {
      const backend = await createWasmBackend();
      const { model, trainer, data } = await trainedModel(backend, { lora: { rank: 4, dropout: 0.1, seed: 2 } }, 1);
      const out: number[] = [];
      for (let step = 0; step < 4; step++) {
        if (sampleBetweenSteps) await generateText(model, tokenizer, { prompt: 'say 2', maxTokens: 4, temperature: 0.8, seed: step });
        out.push((await trainer.trainStep([data.next()])).loss);
      }
      trainer.dispose();
      model.dispose();
      backend.dispose();
      return out;
    };
    expect(await losses(true)).toEqual(await losses(false));
  });

  it('samples with a temperature reproducibly by seed, and refuses a bad request', async () => {
    const backend = await createWasmBackend();
    const { model, trainer } = await trainedModel(backend, {}, 1);
    const sample = (seed: number) => generateText(model, tokenizer, { prompt: 'say 4', maxTokens: 6, temperature: 1, seed });
    expect((await sample(7)).tokenIds).toEqual((await sample(7)).tokenIds);
    await expect(generateText(model, tokenizer, { maxTokens: 4 })).rejects.toBeInstanceOf(TrainingInputError);
    await expect(generateText(model, tokenizer, { prompt: 'x', maxTokens: 0 })).rejects.toThrow(/positive integer/);
    trainer.dispose();
    model.dispose();
    backend.dispose();
  });
});

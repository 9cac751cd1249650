// Options of the training API given the wrong kind of value — a NaN, a string, null, a negative or
// huge count — are refused up front with a TrainingInputError naming the option, not a TypeError or
// RangeError from deep inside, nor silently taken (a string weight decay would turn weights to NaN).
import { createReferenceBackend } from '@cria/kernels';
import { TINY_LLAMA, testVocabulary, tokenizerConfigJson, tokenizerJson, writeTestModel } from '@cria/runtime';
import { loadTokenizer } from '@cria/tokenizer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader } from './data/data-loader.js';
import { packExamples } from './data/packing.js';
import { parseTrainingJsonl, tokenizeExample } from './data/training-example.js';
import { TrainingInputError } from './errors.js';
import { openPretrainedWeights } from './loading/pretrained-weights.js';
import { LlamaTrainingModel } from './model/llama-training-model.js';
import { Trainer } from './trainer.js';

const vocabulary = testVocabulary(320);
const tokenizer = loadTokenizer(tokenizerJson(vocabulary), tokenizerConfigJson(vocabulary));
const examples = parseTrainingJsonl(Array.from({ length: 6 }, (_, i) => JSON.stringify({ prompt: `say ${i}`, completion: ` ${i}` })).join('\n')).map((example) => tokenizeExample(tokenizer, example));
const packed = packExamples(examples, { sequenceLength: 32, padId: 0 });

describe('training options of the wrong kind', () => {
  let directory: string;
  let model: LlamaTrainingModel;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cria-train-options-'));
    await writeTestModel(directory, TINY_LLAMA, { ggufTypes: [] });
    model = await LlamaTrainingModel.load(createReferenceBackend(), await openPretrainedWeights(join(directory, 'hf')));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  const refused = (build: () => unknown, option: RegExp) => {
    expect(build).toThrow(TrainingInputError);
    expect(build).toThrow(option);
  };

  it('packing: sequence lengths beyond what a row can hold, pad ids that are not token ids', () => {
    for (const sequenceLength of [2 ** 53, 1e308, 1.5, -4]) refused(() => packExamples(examples, { sequenceLength, padId: 0 }), /sequenceLength/);
    for (const padId of [-1, 0.5, 'x']) refused(() => packExamples(examples, { sequenceLength: 32, padId: padId as number }), /padId/);
  });

  it('the data loader: batch sizes that are not counts', () => {
    for (const batchSize of [0, -32, 1.5, Infinity, NaN, '2']) refused(() => new DataLoader(packed, { batchSize: batchSize as number, seed: 1 }), /batchSize/);
  });

  it('the trainer: a missing or malformed schedule, optimizer settings out of range', () => {
    const schedule = { learningRate: 1e-3, warmupSteps: 1, totalSteps: 3 };
    for (const bad of [null, 5, { ...schedule, learningRate: 'x' }, { ...schedule, totalSteps: 0 }, { ...schedule, warmupSteps: -1 }, { ...schedule, decay: 'step' }]) {
      refused(() => new Trainer(model, { schedule: bad as never }), /schedule/);
    }
    for (const [option, value] of [['weightDecay', 'x'], ['weightDecay', -0.1], ['beta1', 1], ['beta2', NaN], ['eps', 0], ['maxGradNorm', 0]] as const) {
      refused(() => new Trainer(model, { schedule, [option]: value } as never), new RegExp(option));
    }
    expect(() => new Trainer(model, { schedule, maxGradNorm: Infinity, weightDecay: 0 })).not.toThrow();
  });
});

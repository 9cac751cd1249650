import { createWasmBackend } from '@cria/kernels';
import { SeededRandom } from '@cria/runtime';
import { expect, it } from 'vitest';
import { IGNORE_INDEX, type TrainingBatch } from './training-batch.js';
import { Trainer } from '../trainer.js';
import { LlamaTrainingModel } from './llama-training-model.js';
import { TINY_TRAINING_CONFIG as CONFIG } from '../testing/tiny-config.js';

const STEPS = 120;
const THRESHOLD = 0.05;

/** 4 random sequences of 24 tokens; each target is the next token (the last is ignored). */
function memorisationBatch(seed: number): TrainingBatch {
  const [B, T] = [4, 24];
  const random = new SeededRandom(seed);
  const ids = Int32Array.from({ length: B * T }, () => Math.floor(random.uniform() * CONFIG.vocabSize));
  const targets = Int32Array.from({ length: B * T }, (_, index) => ((index + 1) % T === 0 ? IGNORE_INDEX : ids[index + 1]!));
  return { batchSize: B, sequenceLength: T, ids, targets };
}

it(`a model trained from scratch on wasm memorises 4 random sequences: loss < ${THRESHOLD} within ${STEPS} steps`, async () => {
  const backend = await createWasmBackend({ threads: 2 });
  const model = LlamaTrainingModel.initialize(backend, CONFIG, { seed: 7 });
  const trainer = new Trainer(model, { weightDecay: 0.01, maxGradNorm: 1, schedule: { learningRate: 1e-2, warmupSteps: 10, totalSteps: STEPS, decay: 'cosine' } });
  const batch = memorisationBatch(11);
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) losses.push((await trainer.trainStep([batch])).loss);
  // Random tokens over 32 symbols: the untrained loss is ≈ ln 32 = 3.47.
  expect(losses[0]!).toBeGreaterThan(3);
  const final = await trainer.evaluate([batch]);
  console.log(`memorisation: loss ${losses[0]!.toFixed(3)} → ${final.toFixed(4)} after ${STEPS} steps`);
  expect(final).toBeLessThan(THRESHOLD);
  trainer.dispose();
  model.dispose();
  backend.dispose();
});

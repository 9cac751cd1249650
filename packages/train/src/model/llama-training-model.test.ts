import { createReferenceBackend } from '@cria/kernels';
import { configFromHf } from '@cria/runtime';
import { expect, it } from 'vitest';
import { TrainingInputError } from '../errors.js';
import { initialLlamaWeights } from './llama-parameters.js';
import { LlamaTrainingModel } from './llama-training-model.js';

const CONFIG = configFromHf({ architectures: ['LlamaForCausalLM'], vocab_size: 16, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2 });

it('rejects bad batches, a backward without a forward, and missing or mis-sized weights, saying how to fix them', () => {
  const backend = createReferenceBackend();
  const model = LlamaTrainingModel.initialize(backend, CONFIG, { seed: 1 });
  const ids = new Int32Array(8);
  expect(() => model.forward({ batchSize: 2, sequenceLength: 4, ids, targets: new Int32Array(7) })).toThrow(/batch\.targets: expected 8 values/);
  expect(() => model.forward({ batchSize: 2, sequenceLength: 4, ids: ids.map(() => 16), targets: ids })).toThrow(TrainingInputError);
  expect(() => model.backward()).toThrow(/call model\.forward\(batch, \{ gradientScale: 1 \}\)/);
  model.forward({ batchSize: 2, sequenceLength: 4, ids, targets: ids }); // evaluation: no gradient
  expect(() => model.backward()).toThrow(TrainingInputError);
  const weights = initialLlamaWeights(CONFIG, { seed: 1 });
  weights.delete('lm_head.weight');
  expect(() => LlamaTrainingModel.fromWeights(backend, CONFIG, weights)).toThrow(/lm_head\.weight/);
  weights.set('lm_head.weight', new Float32Array(3));
  expect(() => LlamaTrainingModel.fromWeights(backend, CONFIG, weights)).toThrow(/256 values/);
  model.dispose();
});

it('initialises as Hugging Face does: N(0, 0.02²) weights, unit norms; the same seed gives the same weights', () => {
  const a = initialLlamaWeights(CONFIG, { seed: 9 });
  const b = initialLlamaWeights(CONFIG, { seed: 9 });
  expect(a.get('model.layers.0.mlp.up_proj.weight')).toEqual(b.get('model.layers.0.mlp.up_proj.weight'));
  expect([...a.get('model.norm.weight')!].every((value) => value === 1)).toBe(true);
  const q = a.get('model.layers.0.self_attn.q_proj.weight')!;
  const std = Math.sqrt(q.reduce((sum, value) => sum + value * value, 0) / q.length);
  expect(std).toBeGreaterThan(0.015);
  expect(std).toBeLessThan(0.025);
});

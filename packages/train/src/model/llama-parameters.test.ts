import { createReferenceBackend } from '@cria/kernels';
import { configFromHf } from '@cria/runtime';
import { describe, expect, it } from 'vitest';
import { TrainingInputError } from '../errors.js';
import { initializeOptionsFromHfConfig, initialLlamaWeights, llamaParameterSpecs } from './llama-parameters.js';
import { LlamaTrainingModel } from './llama-training-model.js';

/*
 * The rule, from transformers v4.48 (src/transformers/models/llama/modeling_llama.py; Qwen2's
 * modeling file has the same `_init_weights`):
 *
 *   std = self.config.initializer_range          # config.json, LlamaConfig default 0.02
 *   nn.Linear     → weight.normal_(0, std); bias.zero_()
 *   nn.Embedding  → weight.normal_(0, std); weight[padding_idx].zero_()   # padding_idx = config.pad_token_id
 *   LlamaRMSNorm  → torch.ones(hidden) at construction
 *
 * and with tie_word_embeddings the lm_head is the embedding (tied after init), so it shares the zero
 * padding row; an untied lm_head is an nn.Linear, so its row `pad_token_id` is random.
 */

const HF_CONFIGS = {
  'Llama, untied head, pad_token_id 5, initializer_range 0.05': {
    architectures: ['LlamaForCausalLM'], vocab_size: 96, hidden_size: 64, intermediate_size: 160, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, initializer_range: 0.05, pad_token_id: 5, tie_word_embeddings: false,
  },
  'Qwen2, tied head, q/k/v biases, pad_token_id -1, default std': {
    architectures: ['Qwen2ForCausalLM'], vocab_size: 80, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, pad_token_id: -1, tie_word_embeddings: true,
  },
  'Llama, no pad_token_id': {
    architectures: ['LlamaForCausalLM'], vocab_size: 64, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 1, num_attention_heads: 4,
  },
} as const;

/** Sample statistics against N(0, σ²) with bounds of 5 standard errors for n draws (false alarms ~1e-6 per check). */
function expectNormal(name: string, values: Float32Array, sigma: number): void {
  const n = values.length;
  let sum = 0;
  let squares = 0;
  let withinOneSigma = 0;
  for (const value of values) {
    sum += value;
    squares += value * value;
    if (Math.abs(value) < sigma) withinOneSigma++;
  }
  const mean = sum / n;
  const std = Math.sqrt(squares / n - mean * mean);
  expect(Math.abs(mean), `${name} mean`).toBeLessThan((5 * sigma) / Math.sqrt(n));
  expect(Math.abs(std / sigma - 1), `${name} std ${std}`).toBeLessThan(5 / Math.sqrt(2 * n));
  // A normal has 68.27 % of its mass within one σ (a uniform of the same σ has 57.7 %).
  const p = 0.682689;
  expect(Math.abs(withinOneSigma / n - p), `${name} share within 1σ`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
}

describe('from-scratch initialisation matches transformers _init_weights', () => {
  it.each(Object.entries(HF_CONFIGS))('%s: every tensor of a fresh model', async (_, hfConfig) => {
    const config = configFromHf(hfConfig as Record<string, unknown>);
    const options = initializeOptionsFromHfConfig(hfConfig as Record<string, unknown>, 7);
    const sigma = 'initializer_range' in hfConfig ? hfConfig.initializer_range : 0.02;
    expect(options).toEqual({ seed: 7, std: sigma, padTokenId: 'pad_token_id' in hfConfig ? hfConfig.pad_token_id : null });
    const backend = createReferenceBackend();
    const model = LlamaTrainingModel.initialize(backend, config, options);
    const values = await model.parameters.readAll();
    const specs = llamaParameterSpecs(config);
    expect([...values.keys()]).toEqual(specs.map((spec) => spec.name));
    const padRow = options.padTokenId === null || options.padTokenId === undefined ? undefined : (options.padTokenId + config.vocabSize) % config.vocabSize;
    const C = config.hiddenSize;
    for (const { name, init } of specs) {
      const tensor = values.get(name)!;
      if (init === 'ones') expect(tensor.every((value) => value === 1), name).toBe(true);
      else if (init === 'zeros') expect(tensor.every((value) => value === 0), name).toBe(true);
      else if (name === 'model.embed_tokens.weight' && padRow !== undefined) {
        expect(tensor.subarray(padRow * C, (padRow + 1) * C).every((value) => value === 0), 'padding row').toBe(true);
        expectNormal(name, Float32Array.from([...tensor.subarray(0, padRow * C), ...tensor.subarray((padRow + 1) * C)]), sigma);
      } else {
        expectNormal(name, tensor, sigma);
      }
    }
    if (hfConfig.architectures[0] === 'Qwen2ForCausalLM') expect(specs.filter((spec) => spec.init === 'zeros')).toHaveLength(3 * config.numLayers);
    if (!config.tieWordEmbeddings && padRow !== undefined) {
      const head = values.get('lm_head.weight')!.subarray(padRow * C, (padRow + 1) * C); // an nn.Linear: no padding row
      expect(head.some((value) => value !== 0)).toBe(true);
    }
    // One seeded stream in spec order: no two matrices repeat each other.
    expect(values.get('model.layers.0.self_attn.k_proj.weight')!.slice(0, 8)).not.toEqual(values.get('model.layers.0.self_attn.v_proj.weight')!.slice(0, 8));
    model.dispose();
  });

  it('refuses a config it cannot honour, saying what to set', () => {
    const config = configFromHf(HF_CONFIGS['Llama, no pad_token_id'] as unknown as Record<string, unknown>);
    expect(() => initialLlamaWeights(config, { seed: 1, padTokenId: 64 })).toThrow(/pad_token_id: expected a token id in \[-64, 64\), got 64/);
    expect(() => initialLlamaWeights(config, { seed: 1, std: Number.NaN })).toThrow(TrainingInputError);
    expect(() => initializeOptionsFromHfConfig({ initializer_range: '0.02' }, 1)).toThrow(/initializer_range/);
    expect(() => initializeOptionsFromHfConfig({ pad_token_id: [0] }, 1)).toThrow(/pad_token_id/);
  });
});

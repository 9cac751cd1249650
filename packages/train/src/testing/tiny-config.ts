import { configFromHf } from '@cria/runtime';

/**
 * A 2-layer Llama small enough to train for many steps in a unit test (vocabulary 32, width 64,
 * 4 query heads over 2 KV heads), big enough to exercise grouped-query attention and the MLP.
 */
export const TINY_TRAINING_CONFIG = configFromHf({
  architectures: ['LlamaForCausalLM'],
  vocab_size: 32,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-5,
});

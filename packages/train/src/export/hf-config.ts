import type { ModelConfig } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';

const MODEL_TYPES: Record<ModelConfig['architecture'], string> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
};

/**
 * config.json for a model, as transformers writes it. With `source` (the config.json the model was
 * loaded from) that file is kept as is, with only `torch_dtype` updated: it may hold keys Cria does
 * not model (rope_scaling, sliding_window, ...). Without it the config is written from `ModelConfig`,
 * which cannot restore a rope scaling (only its frequencies are kept), so that case is refused.
 */
export function hfConfigJson(config: ModelConfig, torchDtype: 'float32' | 'float16' | 'bfloat16', source?: Record<string, unknown>): Record<string, unknown> {
  if (source) return { ...source, torch_dtype: torchDtype };
  if (config.inverseFrequencies) {
    throw new TrainingInputError('config.json', 'the source config.json of a model with rope scaling', 'none', "pass the original config.json (exportHfModel's sourceConfig) so its rope_scaling is kept");
  }
  const eos = config.eosTokenIds;
  return {
    architectures: [config.architecture],
    model_type: MODEL_TYPES[config.architecture],
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    vocab_size: config.vocabSize,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: null,
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    ...(config.architecture === 'LlamaForCausalLM' ? { attention_bias: config.attentionBias, mlp_bias: false } : {}),
    hidden_act: 'silu',
    initializer_range: 0.02,
    ...(eos.length > 0 ? { eos_token_id: eos.length === 1 ? eos[0] : eos } : {}),
    torch_dtype: torchDtype,
    use_cache: true,
  };
}

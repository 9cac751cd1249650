import { MIN_TEST_VOCAB_SIZE } from './test-tokenizer.js';

/** The shape of a random-weight Llama-family test model. */
export interface TestModelConfig {
  /** `llama` (LlamaForCausalLM) or `qwen2` (Qwen2ForCausalLM: q/k/v biases, no RoPE permutation in GGUF). */
  readonly architecture: 'llama' | 'qwen2';
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly vocabSize: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly maxPositionEmbeddings: number;
  readonly tieWordEmbeddings: boolean;
  readonly seed: number;
  /**
   * Standard deviation of the logits (lm_head rows are drawn with std logitStd / √hidden, and the
   * final RMSNorm makes the hidden state's norm √hidden). 4 gives peaked next-token distributions,
   * so greedy decoding is stable against the small differences between backends and quantizations.
   */
  readonly logitStd: number;
  /** Llama 3.1's RoPE scaling (`rope_scaling.rope_type: "llama3"`); absent: plain RoPE. */
  readonly ropeScaling?: {
    readonly factor: number;
    readonly lowFreqFactor: number;
    readonly highFreqFactor: number;
    readonly originalMaxPositionEmbeddings: number;
  };
}

const BASE = {
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  vocabSize: MIN_TEST_VOCAB_SIZE + 21, // 320
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  maxPositionEmbeddings: 256,
  seed: 1,
  logitStd: 4,
} as const;

/** Llama with GQA (4 query heads, 2 KV heads) and untied embeddings. */
export const TINY_LLAMA: TestModelConfig = { ...BASE, architecture: 'llama', tieWordEmbeddings: false };
/**
 * Llama 3.x style: tied embeddings, theta 500000 and llama3 RoPE scaling. The original context is
 * shrunk to 64 so that with head dim 16 all three regimes occur (frequency 0 kept, 1 blended, 2–7
 * divided by `factor`).
 */
export const TINY_LLAMA3: TestModelConfig = {
  ...BASE,
  architecture: 'llama',
  tieWordEmbeddings: true,
  ropeTheta: 500_000,
  seed: 3,
  ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 },
};
/** Qwen2 with q/k/v biases, GQA and tied embeddings. */
export const TINY_QWEN2: TestModelConfig = { ...BASE, architecture: 'qwen2', tieWordEmbeddings: true, ropeTheta: 1_000_000, rmsNormEps: 1e-6, seed: 2 };

export function headDim(config: TestModelConfig): number {
  return config.hiddenSize / config.numHeads;
}

/** Rejects configs no checkpoint can hold, before any weights are drawn. */
export function validateTestModelConfig(config: TestModelConfig): void {
  const problems: string[] = [];
  if (config.hiddenSize % config.numHeads !== 0) problems.push('hiddenSize must be a multiple of numHeads');
  if ((config.hiddenSize / config.numHeads) % 2 !== 0) problems.push('the head dim must be even (RoPE rotates pairs)');
  if (config.numHeads % config.numKvHeads !== 0) problems.push('numHeads must be a multiple of numKvHeads');
  // Q8_0/Q4_0 quantize rows (the input dim) in blocks of 32.
  if (config.hiddenSize % 32 !== 0 || config.intermediateSize % 32 !== 0) problems.push('hiddenSize and intermediateSize must be multiples of 32');
  if (config.vocabSize < MIN_TEST_VOCAB_SIZE) problems.push(`vocabSize must be at least ${MIN_TEST_VOCAB_SIZE}`);
  if (config.ropeScaling && config.architecture !== 'llama') problems.push('llama3 RoPE scaling is a Llama option');
  if (problems.length > 0) throw new RangeError(`invalid test model config: ${problems.join('; ')}`);
}

/** config.json as transformers writes it for LlamaForCausalLM / Qwen2ForCausalLM. */
export function hfConfigJson(config: TestModelConfig, torchDtype: 'float32' | 'float16' | 'bfloat16', bosId: number, eosId: number): object {
  const common = {
    architectures: [config.architecture === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM'],
    model_type: config.architecture,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: headDim(config),
    vocab_size: config.vocabSize,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: config.ropeScaling
      ? {
          rope_type: 'llama3',
          factor: config.ropeScaling.factor,
          low_freq_factor: config.ropeScaling.lowFreqFactor,
          high_freq_factor: config.ropeScaling.highFreqFactor,
          original_max_position_embeddings: config.ropeScaling.originalMaxPositionEmbeddings,
        }
      : null,
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    hidden_act: 'silu',
    initializer_range: 0.02,
    bos_token_id: bosId,
    eos_token_id: eosId,
    torch_dtype: torchDtype,
    use_cache: true,
    transformers_version: '4.46.0',
  };
  return config.architecture === 'llama'
    ? { ...common, attention_bias: false, mlp_bias: false, pretraining_tp: 1 }
    : { ...common, use_sliding_window: false, sliding_window: null, max_window_layers: config.numLayers, attention_dropout: 0 };
}

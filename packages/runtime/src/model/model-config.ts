import type { RopeStyle } from '@cria/kernels';
import { UnsupportedArchitectureError } from '../engine/engine-errors.js';
import { llama3InverseFrequencies, type Llama3RopeScaling } from './rope-scaling.js';

/**
 * The one config object the Llama-family forward needs, whatever the checkpoint format.
 * Read from config.json (Hugging Face) or `<arch>.*` metadata (GGUF).
 */
export interface ModelConfig {
  /** The Hugging Face class name (`LlamaForCausalLM`, ...). */
  architecture: SupportedArchitecture;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  /**
   * 'half' for Hugging Face checkpoints and GGUF Qwen2 (NEOX mode); 'interleaved' for GGUF Llama,
   * whose q/k rows convert_hf_to_gguf.py permuted so that adjacent pairs rotate together.
   */
  ropeStyle: RopeStyle;
  /** Host-computed inverse frequencies when the checkpoint asks for rope scaling (Llama 3.1+). */
  inverseFrequencies: Float32Array | undefined;
  /** q/k/v projections have biases (Qwen2). */
  attentionBias: boolean;
  /** The output head is the embedding table. */
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  /**
   * Sliding-window attention (Mistral v0.1's `sliding_window`, Qwen2's with `use_sliding_window`):
   * a query sees only the last `slidingWindow` positions. Cria attends over the whole cache, which is
   * the same thing while the context holds at most this many tokens, so the engine caps it there.
   */
  slidingWindow?: number;
  /** Token ids that end generation, from the config (the tokenizer adds its own). */
  eosTokenIds: number[];
}

export const SUPPORTED_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'] as const;
export type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** GGUF `general.architecture` → the Hugging Face class it stands for. */
const GGUF_ARCHITECTURES: Record<string, SupportedArchitecture> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

export class ModelConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${file}: '${key}' should be ${expected}, got ${JSON.stringify(got)}. Hint: the config is incomplete or from a different model family; re-download it with the weights`);
    this.name = 'ModelConfigError';
  }
}

/**
 * Bounds on counts a config sets before any tensor is checked against it: far above real models
 * (Llama 3.1 405B has 126 layers and 128 heads), far below what a corrupt value would make the
 * loader allocate (the layer list is built from the count) before the tensors could refute it.
 */
const MAX_LAYERS = 4096;
const MAX_HEADS = 4096;
/** Real head dims are 64–256; RoPE tables of head dim / 2 are built from it before any tensor is read. */
const MAX_HEAD_DIM = 4096;
/** Sizes are checked against the tensors; this only keeps products of them exact doubles. */
const MAX_SIZE = 2 ** 31;

function positiveInteger(file: string, record: Record<string, unknown>, key: string, fallback?: number, max = MAX_SIZE): number {
  const value = record[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw new ModelConfigError(file, key, `a positive integer${max === MAX_SIZE ? '' : ` up to ${max}`}`, value);
  }
  return value;
}

function positiveNumber(file: string, record: Record<string, unknown>, key: string, fallback?: number): number {
  const value = record[key] ?? fallback;
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) throw new ModelConfigError(file, key, 'a positive finite number', value);
  return value;
}

/** Grouped-query attention shares each KV head among a whole number of query heads; RoPE rotates pairs. */
function checkHeads(file: string, keys: { heads: string; kvHeads: string; headDim: string }, config: ModelConfig): ModelConfig {
  if (config.numHeads % config.numKvHeads !== 0) throw new ModelConfigError(file, keys.kvHeads, `a divisor of ${keys.heads} (${config.numHeads})`, config.numKvHeads);
  if (config.headDim % 2 !== 0) throw new ModelConfigError(file, keys.headDim, 'an even number (RoPE rotates pairs of dimensions)', config.headDim);
  return config;
}

function idList(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((id): id is number => typeof id === 'number');
  return [];
}

/** Parses a Hugging Face config.json (already JSON-decoded). `generationConfig` adds its eos ids. */
export function configFromHf(json: unknown, generationConfig: unknown = undefined, file = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelConfigError(file, '(root)', 'a JSON object', json);
  const record = json as Record<string, unknown>;
  const architectures = record['architectures'];
  const architecture = Array.isArray(architectures) ? String(architectures[0]) : String(record['model_type'] ?? 'unknown');
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(architecture)) throw new UnsupportedArchitectureError(architecture, SUPPORTED_ARCHITECTURES);
  const hiddenSize = positiveInteger(file, record, 'hidden_size');
  const numHeads = positiveInteger(file, record, 'num_attention_heads', undefined, MAX_HEADS);
  const headDim = positiveInteger(file, record, 'head_dim', hiddenSize / numHeads, MAX_HEAD_DIM);
  const ropeTheta = positiveNumber(file, record, 'rope_theta', 10000);
  const generation = (generationConfig ?? {}) as Record<string, unknown>;
  return checkHeads(file, { heads: 'num_attention_heads', kvHeads: 'num_key_value_heads', headDim: 'head_dim' }, {
    architecture: architecture as SupportedArchitecture,
    hiddenSize,
    intermediateSize: positiveInteger(file, record, 'intermediate_size'),
    numLayers: positiveInteger(file, record, 'num_hidden_layers', undefined, MAX_LAYERS),
    numHeads,
    numKvHeads: positiveInteger(file, record, 'num_key_value_heads', numHeads, MAX_HEADS),
    headDim,
    vocabSize: positiveInteger(file, record, 'vocab_size'),
    rmsNormEps: positiveNumber(file, record, 'rms_norm_eps', 1e-6),
    ropeTheta,
    ropeStyle: 'half',
    inverseFrequencies: ropeScalingFrequencies(file, record['rope_scaling'], headDim, ropeTheta),
    attentionBias: architecture === 'Qwen2ForCausalLM' || record['attention_bias'] === true,
    tieWordEmbeddings: record['tie_word_embeddings'] === true,
    maxPositionEmbeddings: positiveInteger(file, record, 'max_position_embeddings', 2048),
    slidingWindow: slidingWindowOf(file, architecture, record),
    eosTokenIds: [...new Set([...idList(record['eos_token_id']), ...idList(generation['eos_token_id'])])],
  });
}

/** The attention window when the config turns it on (Mistral: `sliding_window` set; Qwen2: `use_sliding_window`). */
function slidingWindowOf(file: string, architecture: string, record: Record<string, unknown>): number | undefined {
  const enabled = architecture === 'MistralForCausalLM' || (architecture === 'Qwen2ForCausalLM' && record['use_sliding_window'] === true);
  if (!enabled || record['sliding_window'] === undefined || record['sliding_window'] === null) return undefined;
  return positiveInteger(file, record, 'sliding_window');
}

function ropeScalingFrequencies(file: string, scaling: unknown, headDim: number, theta: number): Float32Array | undefined {
  if (scaling === undefined || scaling === null) return undefined;
  const record = scaling as Record<string, unknown>;
  const type = record['rope_type'] ?? record['type'];
  if (type === 'default') return undefined;
  if (type !== 'llama3') throw new ModelConfigError(file, 'rope_scaling.rope_type', '"llama3" (the only rope scaling Cria implements) or absent', type);
  const parameters: Llama3RopeScaling = {
    factor: positiveNumber(file, record, 'factor'),
    lowFrequencyFactor: positiveNumber(file, record, 'low_freq_factor'),
    highFrequencyFactor: positiveNumber(file, record, 'high_freq_factor'),
    originalMaxPositionEmbeddings: positiveInteger(file, record, 'original_max_position_embeddings'),
  };
  return llama3InverseFrequencies(headDim, theta, parameters);
}

/** Parses GGUF metadata (plain values, `GgufFile.metadataRecord()`). */
export function configFromGguf(metadata: Record<string, unknown>, file: string): ModelConfig {
  const arch = String(metadata['general.architecture'] ?? 'unknown');
  const architecture = GGUF_ARCHITECTURES[arch];
  if (!architecture) throw new UnsupportedArchitectureError(`${arch} (GGUF)`, Object.keys(GGUF_ARCHITECTURES));
  const key = (name: string) => `${arch}.${name}`;
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(metadata)) record[name] = typeof value === 'bigint' ? Number(value) : value;
  const hiddenSize = positiveInteger(file, record, key('embedding_length'));
  const numHeads = positiveInteger(file, record, key('attention.head_count'), undefined, MAX_HEADS);
  const headDim = positiveInteger(file, record, key('rope.dimension_count'), hiddenSize / numHeads, MAX_HEAD_DIM);
  const ropeTheta = positiveNumber(file, record, key('rope.freq_base'), 10000);
  const tokens = metadata['tokenizer.ggml.tokens'];
  const vocabFallback = Array.isArray(tokens) ? tokens.length : undefined;
  const scalingType = record[key('rope.scaling.type')];
  if (scalingType !== undefined && scalingType !== 'none') throw new ModelConfigError(file, key('rope.scaling.type'), '"none" (Cria implements GGUF rope scaling only through rope_freqs)', scalingType);
  const eos = [record['tokenizer.ggml.eos_token_id'], record['tokenizer.ggml.eot_token_id']].filter((id): id is number => typeof id === 'number');
  return checkHeads(file, { heads: key('attention.head_count'), kvHeads: key('attention.head_count_kv'), headDim: key('rope.dimension_count') }, {
    architecture,
    hiddenSize,
    intermediateSize: positiveInteger(file, record, key('feed_forward_length')),
    numLayers: positiveInteger(file, record, key('block_count'), undefined, MAX_LAYERS),
    numHeads,
    numKvHeads: positiveInteger(file, record, key('attention.head_count_kv'), numHeads, MAX_HEADS),
    headDim,
    vocabSize: positiveInteger(file, record, key('vocab_size'), vocabFallback),
    rmsNormEps: positiveNumber(file, record, key('attention.layer_norm_rms_epsilon'), 1e-5),
    ropeTheta,
    // convert_hf_to_gguf.py permutes Llama/Mistral q/k for GGML's normal (interleaved) RoPE; Qwen2 runs in NEOX mode.
    ropeStyle: arch === 'qwen2' ? 'half' : 'interleaved',
    inverseFrequencies: undefined,
    attentionBias: arch === 'qwen2',
    // Decided by the loader: GGUF ties by leaving out output.weight.
    tieWordEmbeddings: false,
    maxPositionEmbeddings: positiveInteger(file, record, key('context_length'), 2048),
    eosTokenIds: [...new Set(eos)],
  });
}

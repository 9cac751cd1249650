import { byteLength, dequantizeQ4_0, dequantizeQ8_0, quantizeQ4_0, quantizeQ8_0 } from '@cria/kernels';
import type { LoadProgress, ModelConfig } from '@cria/runtime';
import { SeededRandom } from '@cria/runtime';
import type { Parameter, ParameterStore } from '../parameters/parameter-store.js';
import type { QuantizedBaseDtype, SourceTensor, TrainingWeightSource } from '../loading/weight-source.js';
import { TrainingInputError } from '../errors.js';

/** A tensor the Llama model has: its Hugging Face name, shape and how a fresh model initialises it. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  init: 'normal' | 'ones' | 'zeros';
}

/**
 * The Llama-family parameters in Hugging Face names and order. Written against the public
 * `ModelConfig` only (the runtime's weight-name table is not exported). With tied embeddings there
 * is no `lm_head.weight`: the head is `model.embed_tokens.weight`.
 */
export function llamaParameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { hiddenSize: C, intermediateSize: I, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V } = config;
  const specs: ParameterSpec[] = [{ name: 'model.embed_tokens.weight', shape: [V, C], init: 'normal' }];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const p = `model.layers.${layer}.`;
    specs.push({ name: p + 'input_layernorm.weight', shape: [C], init: 'ones' });
    for (const [name, rows] of [['q', H * D], ['k', KV * D], ['v', KV * D]] as const) {
      specs.push({ name: `${p}self_attn.${name}_proj.weight`, shape: [rows, C], init: 'normal' });
      if (config.attentionBias) specs.push({ name: `${p}self_attn.${name}_proj.bias`, shape: [rows], init: 'zeros' });
    }
    specs.push(
      { name: p + 'self_attn.o_proj.weight', shape: [C, H * D], init: 'normal' },
      { name: p + 'post_attention_layernorm.weight', shape: [C], init: 'ones' },
      { name: p + 'mlp.gate_proj.weight', shape: [I, C], init: 'normal' },
      { name: p + 'mlp.up_proj.weight', shape: [I, C], init: 'normal' },
      { name: p + 'mlp.down_proj.weight', shape: [C, I], init: 'normal' },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [C], init: 'ones' });
  if (!config.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [V, C], init: 'normal' });
  return specs;
}

export interface InitializeOptions {
  seed: number;
  /** config.json's `initializer_range` (LlamaConfig's default 0.02): every matrix ~ N(0, std²). */
  std?: number;
  /**
   * config.json's `pad_token_id`: that row of the embedding is zero, as nn.Embedding(padding_idx)
   * after `_init_weights`. Negative counts from the end, as torch does. Default: none (LlamaConfig's).
   */
  padTokenId?: number | null;
}

/**
 * The initialisation a Hugging Face config asks for: `initializer_range` (default 0.02) and
 * `pad_token_id` (default none) read from config.json, as `LlamaForCausalLM(config)` uses them.
 */
export function initializeOptionsFromHfConfig(hfConfig: Record<string, unknown>, seed: number): InitializeOptions {
  const std = hfConfig['initializer_range'] ?? 0.02;
  const padTokenId = hfConfig['pad_token_id'] ?? null;
  if (typeof std !== 'number') throw new TrainingInputError('config.json initializer_range', 'a number', JSON.stringify(std), 'set it to the std of the weight init, e.g. 0.02');
  if (padTokenId !== null && typeof padTokenId !== 'number') throw new TrainingInputError('config.json pad_token_id', 'a token id or null', JSON.stringify(padTokenId), 'set it to the padding token\'s id, or null');
  return { seed, std, padTokenId };
}

/**
 * A freshly initialised model's tensors, one at a time in `llamaParameterSpecs` order (one seeded
 * stream, drawn as the iteration goes), by the rule of transformers'
 * `LlamaPreTrainedModel._init_weights` (v4.48, models/llama/modeling_llama.py; Qwen2's is the
 * same): every nn.Linear weight (q/k/v/o, gate/up/down, an untied lm_head) and the nn.Embedding
 * ~ N(0, initializer_range²); Linear biases (Qwen2's q/k/v) zero; the embedding row `pad_token_id`
 * zero (LlamaModel builds `nn.Embedding(vocab, hidden, config.pad_token_id)`); RMSNorm weights
 * one (`torch.ones` in LlamaRMSNorm). A tied head is the embedding itself, pad row included.
 * The options are checked at the call, before anything is drawn.
 */
export function initialLlamaTensors(config: ModelConfig, { seed, std = 0.02, padTokenId = null }: InitializeOptions): Iterable<[ParameterSpec, Float32Array]> {
  if (!(Number.isFinite(std) && std >= 0)) throw new TrainingInputError('initializer_range', 'a finite std ≥ 0', String(std), 'use 0.02, LlamaConfig\'s default');
  const V = config.vocabSize;
  if (padTokenId !== null && !(Number.isInteger(padTokenId) && padTokenId >= -V && padTokenId < V)) {
    throw new TrainingInputError('pad_token_id', `a token id in [${-V}, ${V})`, String(padTokenId), 'set pad_token_id to a token of the vocabulary, or null for no padding row');
  }
  const padRow = padTokenId === null ? undefined : (padTokenId + V) % V;
  return (function* () {
    const random = new SeededRandom(seed);
    for (const spec of llamaParameterSpecs(config)) {
      const size = spec.shape.reduce((product, dim) => product * dim, 1);
      const values = spec.init === 'normal' ? random.normals(size, std) : new Float32Array(size).fill(spec.init === 'ones' ? 1 : 0);
      if (spec.name === 'model.embed_tokens.weight' && padRow !== undefined) values.fill(0, padRow * config.hiddenSize, (padRow + 1) * config.hiddenSize); // [V, C]
      yield [spec, values] as [ParameterSpec, Float32Array];
    }
  })();
}

/** Every tensor of `initialLlamaTensors` at once, by name (small models and tests; `LlamaTrainingModel.initialize` never holds them all). */
export function initialLlamaWeights(config: ModelConfig, options: InitializeOptions): Map<string, Float32Array> {
  return new Map([...initialLlamaTensors(config, options)].map(([spec, values]) => [spec.name, values]));
}

export interface AddLlamaParametersOptions {
  /** Default true. A LoRA base is frozen. */
  trainable?: boolean;
  /** Frozen only: store the layers' linear weights (q/k/v/o/gate/up/down) as Q8_0/Q4_0 (QLoRA); the rest stays f32. */
  linearDtype?: 'f32' | QuantizedBaseDtype;
}

const LINEAR_WEIGHT = /\.(q|k|v|o|gate|up|down)_proj\.weight$/;
const QUANTIZE = { q8_0: quantizeQ8_0, q4_0: quantizeQ4_0 } as const;
const DEQUANTIZE = { q8_0: dequantizeQ8_0, q4_0: dequantizeQ4_0 } as const;

/** The dtype the store keeps `spec` in: `linearDtype` for the layers' linear weights, f32 for everything else. */
export function keptDtype(spec: ParameterSpec, linearDtype: AddLlamaParametersOptions['linearDtype'] = 'f32'): 'f32' | QuantizedBaseDtype {
  return linearDtype !== 'f32' && LINEAR_WEIGHT.test(spec.name) ? linearDtype : 'f32';
}

/**
 * Adds one parameter to the store from f32 values or Q8_0/Q4_0 blocks, checking its size. Blocks of
 * the kept dtype are uploaded as they are; f32 values for a quantized weight are quantized, and
 * blocks for an f32 weight (full fine-tuning from a quantized file) are dequantized — each one
 * tensor at a time, dropped once uploaded.
 */
export function addLlamaParameter(store: ParameterStore, spec: ParameterSpec, tensor: SourceTensor, { trainable = true, linearDtype = 'f32' }: AddLlamaParametersOptions = {}): Parameter {
  const size = spec.shape.reduce((product, dim) => product * dim, 1);
  const kept = keptDtype(spec, linearDtype);
  if (tensor.dtype !== 'f32') {
    const bytes = byteLength(tensor.dtype, spec.shape);
    if (tensor.data.byteLength !== bytes) throw new TrainingInputError(spec.name, `${bytes} bytes of ${tensor.dtype} blocks (shape [${spec.shape.join(', ')}])`, `${tensor.data.byteLength}`, 'the weights belong to a model of another size than the config');
    if (tensor.dtype === kept) return store.add(spec.name, spec.shape, tensor.data, { trainable: false, dtype: kept });
    return addLlamaParameter(store, spec, { dtype: 'f32', data: DEQUANTIZE[tensor.dtype](tensor.data, size) }, { trainable, linearDtype });
  }
  if (tensor.data.length !== size) throw new TrainingInputError(spec.name, `${size} values (shape [${spec.shape.join(', ')}])`, `${tensor.data.length}`, 'the weights belong to a model of another size than the config');
  if (kept === 'f32') return store.add(spec.name, spec.shape, tensor.data, { trainable });
  if (spec.shape[1]! % 32 !== 0) throw new TrainingInputError(spec.name, `an input dimension divisible by 32 for ${kept}`, String(spec.shape[1]), 'use an f32 base for this model');
  return store.add(spec.name, spec.shape, QUANTIZE[kept](tensor.data), { trainable: false, dtype: kept });
}

/** Adds every spec's tensor to the store from `weights`, checking that each name is there with the right size. */
export function addLlamaParameters(store: ParameterStore, config: ModelConfig, weights: ReadonlyMap<string, Float32Array>, options: AddLlamaParametersOptions = {}): void {
  for (const spec of llamaParameterSpecs(config)) {
    const data = weights.get(spec.name);
    if (!data) throw new TrainingInputError(spec.name, `a tensor of shape [${spec.shape.join(', ')}]`, 'nothing', 'the weights are from another architecture or miss a tensor; check the names');
    addLlamaParameter(store, spec, { dtype: 'f32', data }, options);
  }
}

export interface LoadParametersOptions extends AddLlamaParametersOptions {
  /** Called after each tensor is on the backend; bytes are the source's stored bytes. */
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

/**
 * Pulls every spec's tensor from `source` in order and uploads it before asking for the next, so
 * host memory holds about one tensor (its stored bytes, plus f32 values where the kept dtype or a
 * conversion needs them). Quantized linear weights are asked for as blocks of the kept dtype.
 */
export async function loadLlamaParameters(store: ParameterStore, source: TrainingWeightSource, options: LoadParametersOptions = {}): Promise<void> {
  const specs = llamaParameterSpecs(source.config);
  const totalBytes = specs.reduce((sum, spec) => sum + source.storedBytes(spec.name), 0);
  let loadedBytes = 0;
  for (const spec of specs) {
    options.signal?.throwIfAborted();
    const kept = keptDtype(spec, options.linearDtype);
    addLlamaParameter(store, spec, await source.read(spec, kept === 'f32' ? {} : { blocks: kept }), options);
    loadedBytes += source.storedBytes(spec.name);
    options.onProgress?.({ phase: 'upload', loadedBytes, totalBytes, item: spec.name });
  }
}

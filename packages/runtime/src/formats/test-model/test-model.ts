import { concatBytes } from '../chunks.js';
import { gguf, type GgufValue } from '../gguf/gguf-value.js';
import { encodeGguf, type GgufWriteTensor } from '../gguf/gguf-writer.js';
import type { SafetensorsDType } from '../safetensors/safetensors-header.js';
import { SAFETENSORS_INDEX_FILE } from '../safetensors/sharded-safetensors.js';
import { encodeSafetensors, type SafetensorsWriteTensor } from '../safetensors/safetensors-writer.js';
import { encodeQ4K, encodeQ6K } from './k-quant-encode.js';
import { permuteForInterleavedRope } from './rope-permute.js';
import { SeededRandom } from './seeded-random.js';
import { headDim, hfConfigJson, validateTestModelConfig, type TestModelConfig } from './test-model-config.js';
import { testVocabulary, tokenizerConfigJson, tokenizerGgufMetadata, tokenizerJson } from './test-tokenizer.js';

export interface WeightTensor {
  readonly name: string;
  /** Row-major [out, in] for matrices, as PyTorch stores `nn.Linear.weight`. */
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/**
 * Random weights under Hugging Face names, drawn in a fixed order from one seeded stream (same
 * config → same values). Matrices are N(0, 1/fan_in) so activations keep their scale through the
 * layers; norms are 1 ± 0.1 and biases N(0, 0.1²) so neither is a no-op a loader bug could hide behind.
 */
export function testModelWeights(config: TestModelConfig): WeightTensor[] {
  validateTestModelConfig(config);
  const random = new SeededRandom(config.seed);
  const { hiddenSize: hidden, intermediateSize: intermediate, vocabSize: vocab } = config;
  const qRows = config.numHeads * headDim(config);
  const kvRows = config.numKvHeads * headDim(config);
  const tensors: WeightTensor[] = [];
  const matrix = (name: string, rows: number, columns: number, std = 1 / Math.sqrt(columns)) =>
    tensors.push({ name, shape: [rows, columns], values: random.normals(rows * columns, std) });
  const vector = (name: string, length: number, std: number, mean: number) => tensors.push({ name, shape: [length], values: random.normals(length, std, mean) });

  // Tied embeddings double as the output head, so they take its scale.
  matrix('model.embed_tokens.weight', vocab, hidden, config.tieWordEmbeddings ? config.logitStd / Math.sqrt(hidden) : 1);
  for (let layer = 0; layer < config.numLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    vector(`${prefix}.input_layernorm.weight`, hidden, 0.1, 1);
    matrix(`${prefix}.self_attn.q_proj.weight`, qRows, hidden);
    matrix(`${prefix}.self_attn.k_proj.weight`, kvRows, hidden);
    matrix(`${prefix}.self_attn.v_proj.weight`, kvRows, hidden);
    if (config.architecture === 'qwen2') {
      vector(`${prefix}.self_attn.q_proj.bias`, qRows, 0.1, 0);
      vector(`${prefix}.self_attn.k_proj.bias`, kvRows, 0.1, 0);
      vector(`${prefix}.self_attn.v_proj.bias`, kvRows, 0.1, 0);
    }
    matrix(`${prefix}.self_attn.o_proj.weight`, hidden, qRows);
    vector(`${prefix}.post_attention_layernorm.weight`, hidden, 0.1, 1);
    matrix(`${prefix}.mlp.gate_proj.weight`, intermediate, hidden);
    matrix(`${prefix}.mlp.up_proj.weight`, intermediate, hidden);
    matrix(`${prefix}.mlp.down_proj.weight`, hidden, intermediate);
  }
  vector('model.norm.weight', hidden, 0.1, 1);
  if (!config.tieWordEmbeddings) matrix('lm_head.weight', vocab, hidden, config.logitStd / Math.sqrt(hidden));
  return tensors;
}

/** The files of the Hugging Face form, by name (contents as chunks). */
export function testModelHfFiles(config: TestModelConfig, dtype: SafetensorsDType = 'F32', shards = 1): Record<string, Uint8Array[]> {
  const vocabulary = testVocabulary(config.vocabSize);
  const torchDtype = ({ F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const)[dtype];
  const json = (value: object) => [new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)];
  const tensors = testModelWeights(config).map(({ name, shape, values }) => ({ name, shape, dtype, data: values }));
  return {
    'config.json': json(hfConfigJson(config, torchDtype, vocabulary.bosId, vocabulary.eosId)),
    'generation_config.json': json({ bos_token_id: vocabulary.bosId, eos_token_id: vocabulary.eosId, do_sample: false }),
    ...(shards > 1 ? shardedSafetensors(tensors, shards, json) : { 'model.safetensors': encodeSafetensors(tensors, { format: 'pt' }) }),
    'tokenizer.json': json(tokenizerJson(vocabulary)),
    'tokenizer_config.json': json(tokenizerConfigJson(vocabulary)),
  };
}

/**
 * `model-0000i-of-0000n.safetensors` files and the index that maps each tensor to one, as
 * transformers' save_pretrained shards; tensors are dealt round-robin, so every layer spans files.
 */
function shardedSafetensors(tensors: SafetensorsWriteTensor[], shards: number, json: (value: object) => Uint8Array[]): Record<string, Uint8Array[]> {
  const files: Record<string, Uint8Array[]> = {};
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (let shard = 0; shard < shards; shard++) {
    const file = `model-${String(shard + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const mine = tensors.filter((_, index) => index % shards === shard);
    for (const tensor of mine) {
      weightMap[tensor.name] = file;
      totalSize += tensor.data.length * (tensor.dtype === 'F32' ? 4 : 2);
    }
    files[file] = encodeSafetensors(mine, { format: 'pt' });
  }
  files[SAFETENSORS_INDEX_FILE] = json({ metadata: { total_size: totalSize }, weight_map: weightMap });
  return files;
}

/**
 * Q4_K_M mixes k-quants as llama-quantize's Q4_K_M does in spirit: Q6_K for the output head and the
 * FFN down projections, Q4_K for every other matrix (needs hidden and intermediate sizes that are
 * multiples of 256, the k-quant super-block).
 */
export type TestGgufType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0' | 'Q4_K_M';

/** llama.cpp's `general.file_type` (enum llama_ftype) for each test type. */
const FILE_TYPES: Record<TestGgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q4_K_M: 15 };

/** The stored type and data of one matrix of a `type` file. */
function matrixData(type: TestGgufType, ggufName: string, values: Float32Array): Pick<GgufWriteTensor, 'type' | 'data'> {
  if (type !== 'Q4_K_M') return { type, data: values };
  return ggufName === 'output.weight' || ggufName.endsWith('ffn_down.weight') ? { type: 'Q6_K', data: encodeQ6K(values) } : { type: 'Q4_K', data: encodeQ4K(values) };
}

/** HF name → llama.cpp name (the `tensor_mapping.py` entries for Llama/Qwen2). */
export function ggufTensorName(hfName: string): string {
  const layer = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  if (layer) {
    const parts: Record<string, string> = {
      'input_layernorm.weight': 'attn_norm.weight',
      'post_attention_layernorm.weight': 'ffn_norm.weight',
      'self_attn.q_proj.weight': 'attn_q.weight',
      'self_attn.k_proj.weight': 'attn_k.weight',
      'self_attn.v_proj.weight': 'attn_v.weight',
      'self_attn.q_proj.bias': 'attn_q.bias',
      'self_attn.k_proj.bias': 'attn_k.bias',
      'self_attn.v_proj.bias': 'attn_v.bias',
      'self_attn.o_proj.weight': 'attn_output.weight',
      'mlp.gate_proj.weight': 'ffn_gate.weight',
      'mlp.up_proj.weight': 'ffn_up.weight',
      'mlp.down_proj.weight': 'ffn_down.weight',
    };
    const part = parts[layer[2]!];
    if (part) return `blk.${layer[1]}.${part}`;
  }
  const top: Record<string, string> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };
  const name = top[hfName];
  if (!name) throw new RangeError(`no GGUF name for tensor '${hfName}'`);
  return name;
}

/**
 * The GGUF form, as llama.cpp's convert_hf_to_gguf.py + llama-quantize would write it: llama.cpp
 * names and metadata, Llama q/k rows permuted for interleaved RoPE (see rope-permute.ts), 1-D
 * tensors (norms, biases) kept F32 and every matrix in `type`; tied models have no output.weight.
 */
export function testModelGguf(config: TestModelConfig, type: TestGgufType = 'F32'): Uint8Array[] {
  if (type === 'Q4_K_M' && (config.hiddenSize % 256 !== 0 || config.intermediateSize % 256 !== 0)) {
    throw new RangeError(`Q4_K_M needs hiddenSize and intermediateSize multiples of 256 (the k-quant super-block), got ${config.hiddenSize} and ${config.intermediateSize}`);
  }
  const vocabulary = testVocabulary(config.vocabSize);
  const arch = config.architecture;
  const metadata: Record<string, GgufValue> = {
    'general.architecture': gguf.string(arch),
    'general.name': gguf.string(`cria-test-${arch}`),
    'general.file_type': gguf.u32(FILE_TYPES[type]),
    [`${arch}.vocab_size`]: gguf.u32(config.vocabSize),
    [`${arch}.context_length`]: gguf.u32(config.maxPositionEmbeddings),
    [`${arch}.embedding_length`]: gguf.u32(config.hiddenSize),
    [`${arch}.block_count`]: gguf.u32(config.numLayers),
    [`${arch}.feed_forward_length`]: gguf.u32(config.intermediateSize),
    [`${arch}.attention.head_count`]: gguf.u32(config.numHeads),
    [`${arch}.attention.head_count_kv`]: gguf.u32(config.numKvHeads),
    [`${arch}.rope.freq_base`]: gguf.f32(config.ropeTheta),
    [`${arch}.rope.dimension_count`]: gguf.u32(headDim(config)),
    [`${arch}.attention.layer_norm_rms_epsilon`]: gguf.f32(config.rmsNormEps),
    ...tokenizerGgufMetadata(vocabulary),
  };
  const tensors: GgufWriteTensor[] = testModelWeights(config).map(({ name, shape, values }) => {
    let data = values;
    if (arch === 'llama' && name.endsWith('q_proj.weight')) data = permuteForInterleavedRope(values, shape[0]!, shape[1]!, config.numHeads);
    if (arch === 'llama' && name.endsWith('k_proj.weight')) data = permuteForInterleavedRope(values, shape[0]!, shape[1]!, config.numKvHeads);
    const ggufName = ggufTensorName(name);
    return { name: ggufName, shape, ...(shape.length === 1 ? { type: 'F32' as const, data } : matrixData(type, ggufName, data)) };
  });
  if (config.ropeScaling) tensors.push({ name: 'rope_freqs.weight', shape: [headDim(config) / 2], type: 'F32', data: llama3RopeFreqFactors(config) });
  return encodeGguf(metadata, tensors);
}

/**
 * llama.cpp's form of llama3 RoPE scaling, computed as convert_hf_to_gguf.py does (written apart
 * from the runtime's model/rope-scaling.ts on purpose, so the two forms check each other): one
 * divisor per frequency, 1 for short wavelengths, `factor` for long ones, a blend in between.
 */
export function llama3RopeFreqFactors(config: TestModelConfig): Float32Array {
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldContext } = config.ropeScaling!;
  const dim = headDim(config);
  const lowFreqWavelength = oldContext / lowFreqFactor;
  const highFreqWavelength = oldContext / highFreqFactor;
  return Float32Array.from({ length: dim / 2 }, (_, i) => {
    const wavelength = (2 * Math.PI) / (1 / config.ropeTheta ** ((2 * i) / dim));
    if (wavelength < highFreqWavelength) return 1;
    if (wavelength > lowFreqWavelength) return factor;
    const smooth = (oldContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return 1 / ((1 - smooth) / factor + smooth);
  });
}

/** Both forms in one buffer each, for tests that keep everything in memory. */
export function testModelInMemory(config: TestModelConfig, options: { hfDtype?: SafetensorsDType; ggufType?: TestGgufType } = {}) {
  const hf = Object.fromEntries(Object.entries(testModelHfFiles(config, options.hfDtype)).map(([name, chunks]) => [name, concatBytes(chunks)]));
  return { hf, gguf: concatBytes(testModelGguf(config, options.ggufType)) };
}

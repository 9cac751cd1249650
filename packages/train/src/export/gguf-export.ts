import { encodeGguf, gguf, ggufTensorName as runtimeGgufTensorName, permuteForInterleavedRope, writeChunks, type GgufValue, type GgufWriteTensor, type ModelConfig } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import { llamaParameterSpecs } from '../model/llama-parameters.js';
import { mergedWeights } from '../lora/merge-lora.js';

export type GgufExportType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0';
export const GGUF_EXPORT_TYPES: readonly GgufExportType[] = ['F32', 'F16', 'Q8_0', 'Q4_0'];

/** llama.cpp's `general.file_type` (enum llama_ftype). */
const FILE_TYPES: Record<GgufExportType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };
const GGUF_ARCHITECTURES: Record<ModelConfig['architecture'], string> = { LlamaForCausalLM: 'llama', MistralForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2' };

/** Hugging Face tensor name → llama.cpp's, with the runtime's mapping; an unknown name is a training input error. */
export function ggufTensorName(hfName: string): string {
  try {
    return runtimeGgufTensorName(hfName);
  } catch {
    throw new TrainingInputError('GGUF export', 'a Llama-family tensor name', hfName, 'only Llama/Mistral/Qwen2 tensors have llama.cpp names here');
  }
}

export interface GgufExportOptions {
  type?: GgufExportType;
  /** `tokenizer.ggml.*` metadata (ggufTokenizerMetadata); without it the file has no tokenizer and runtimes cannot load it alone. */
  tokenizer?: Record<string, GgufValue>;
  name?: string;
}

/**
 * The model as a GGUF file (chunks), as llama.cpp's convert_hf_to_gguf.py (+ llama-quantize for
 * Q8_0/Q4_0) writes it: llama.cpp names and metadata; 1-D tensors (norms, biases) in F32 and every
 * matrix in `type`; a tied model has no output.weight. Llama/Mistral q_proj/k_proj rows are
 * permuted for ggml's interleaved RoPE (see @cria/runtime's rope-permute.ts); Qwen2 runs in NEOX
 * mode and is written unpermuted. A LoRA model is written merged.
 */
export async function encodeModelGguf(model: LlamaTrainingModel, options: GgufExportOptions = {}): Promise<Uint8Array[]> {
  const { config } = model;
  const type = options.type ?? 'F16';
  if (config.inverseFrequencies) throw new TrainingInputError('GGUF export', 'a model without rope scaling', 'rope scaling', 'export safetensors instead (rope_freqs is not written yet)');
  const arch = GGUF_ARCHITECTURES[config.architecture];
  const weights = await mergedWeights(model);
  const metadata: Record<string, GgufValue> = {
    'general.architecture': gguf.string(arch),
    'general.name': gguf.string(options.name ?? 'cria-trained'),
    'general.file_type': gguf.u32(FILE_TYPES[type]),
    [`${arch}.vocab_size`]: gguf.u32(config.vocabSize),
    [`${arch}.context_length`]: gguf.u32(config.maxPositionEmbeddings),
    [`${arch}.embedding_length`]: gguf.u32(config.hiddenSize),
    [`${arch}.block_count`]: gguf.u32(config.numLayers),
    [`${arch}.feed_forward_length`]: gguf.u32(config.intermediateSize),
    [`${arch}.attention.head_count`]: gguf.u32(config.numHeads),
    [`${arch}.attention.head_count_kv`]: gguf.u32(config.numKvHeads),
    [`${arch}.rope.freq_base`]: gguf.f32(config.ropeTheta),
    [`${arch}.rope.dimension_count`]: gguf.u32(config.headDim),
    [`${arch}.attention.layer_norm_rms_epsilon`]: gguf.f32(config.rmsNormEps),
    ...options.tokenizer,
  };
  const permute = arch === 'llama';
  const tensors: GgufWriteTensor[] = llamaParameterSpecs(config).map(({ name, shape }) => {
    let data = weights.get(name)!;
    if (permute && name.endsWith('q_proj.weight')) data = permuteForInterleavedRope(data, shape[0]!, shape[1]!, config.numHeads);
    if (permute && name.endsWith('k_proj.weight')) data = permuteForInterleavedRope(data, shape[0]!, shape[1]!, config.numKvHeads);
    if (shape.length === 2 && (type === 'Q8_0' || type === 'Q4_0') && shape[1]! % 32 !== 0) {
      throw new TrainingInputError(name, `rows of a multiple of 32 values for ${type}`, String(shape[1]), 'export F16 or F32');
    }
    return { name: ggufTensorName(name), shape, type: shape.length === 1 ? 'F32' : type, data };
  });
  return encodeGguf(metadata, tensors);
}

/** Writes the GGUF to `path` (Node). */
export async function exportGguf(model: LlamaTrainingModel, path: string, options: GgufExportOptions = {}): Promise<void> {
  await writeChunks(path, await encodeModelGguf(model, options));
}

import { dequantizeQ4_0, dequantizeQ8_0, fromBf16, fromF16 } from '@cria/kernels';
import { configFromGguf, dequantizeQ4_K, dequantizeQ6_K, GgufFile, openFileSource, type ByteSource, type ModelConfig } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';
import { ggufTensorName } from '../export/gguf-export.js';
import { llamaParameterSpecs, type ParameterSpec } from '../model/llama-parameters.js';
import { unpermuteInterleavedRope } from './rope-unpermute.js';
import type { QuantizedBaseDtype, ReadTensorOptions, SourceTensor, TrainingWeightSource } from './weight-source.js';

const LINEAR = /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/;
const QUANTIZED_BASES: Readonly<Record<string, QuantizedBaseDtype>> = { Q8_0: 'q8_0', Q4_0: 'q4_0' };

/** `bytes`, copied only when their offset does not suit a typed array of `width`-byte elements. */
const aligned = (bytes: Uint8Array, width: number) => (bytes.byteOffset % width === 0 ? bytes : bytes.slice());
function asUint16(bytes: Uint8Array, elements: number): Uint16Array {
  const view = aligned(bytes, 2);
  return new Uint16Array(view.buffer, view.byteOffset, elements);
}

/** The stored bytes of any type the training input takes, as f32 values ([elements]). */
const TO_F32: Readonly<Record<string, (bytes: Uint8Array, elements: number) => Float32Array>> = {
  F32: (bytes, elements) => {
    const view = aligned(bytes, 4);
    return new Float32Array(view.buffer, view.byteOffset, elements);
  },
  F16: (bytes, elements) => fromF16(asUint16(bytes, elements)),
  BF16: (bytes, elements) => fromBf16(asUint16(bytes, elements)),
  Q8_0: dequantizeQ8_0,
  Q4_0: dequantizeQ4_0,
  Q4_K: dequantizeQ4_K,
  Q6_K: dequantizeQ6_K,
};

/**
 * A llama.cpp GGUF (F32/F16/BF16/Q8_0/Q4_0, and Q4_K/Q6_K dequantized) as a training weight source,
 * tensor by tensor by Hugging Face name. For `llama`-architecture files the q/k rows are put back in
 * Hugging Face order on the stored bytes (Qwen2 files are not permuted), so a Q8_0/Q4_0 tensor asked
 * for as blocks is the file's own blocks, rows reordered: no f32 copy, no requantization.
 */
class GgufWeightSource implements TrainingWeightSource {
  #closed = false;

  constructor(
    readonly file: GgufFile,
    readonly config: ModelConfig,
    readonly quantizedBase: QuantizedBaseDtype | undefined,
    /** convert_hf_to_gguf.py permutes only the llama architecture's q/k; Qwen2 keeps NEOX (half) order. */
    readonly permuted: boolean,
  ) {}

  get name(): string {
    return this.file.name;
  }

  storedBytes(name: string): number {
    return this.file.info(ggufTensorName(name)).byteLength;
  }

  async read(spec: ParameterSpec, options: ReadTensorOptions = {}): Promise<SourceTensor> {
    const info = this.file.info(ggufTensorName(spec.name));
    let bytes = await this.file.readBytes(info.name);
    const heads = spec.name.endsWith('q_proj.weight') ? this.config.numHeads : spec.name.endsWith('k_proj.weight') ? this.config.numKvHeads : 0;
    if (this.permuted && heads > 0) bytes = unpermuteInterleavedRope(bytes, spec.shape[0]!, bytes.byteLength / spec.shape[0]!, heads);
    if (options.blocks !== undefined && QUANTIZED_BASES[info.type] === options.blocks) return { dtype: options.blocks, data: bytes };
    return { dtype: 'f32', data: TO_F32[info.type]!(bytes, spec.shape.reduce((product, dim) => product * dim, 1)) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.file.close();
  }
}

/**
 * Opens a GGUF (any ByteSource: a file, a Blob, an HTTP URL, memory) as training weights: reads the
 * header, derives the config (Hugging Face conventions: `half` RoPE, tying decided by
 * `output.weight`) and checks every parameter's name, shape and type before any tensor is read. The
 * source is closed on failure; on success whoever reads it closes it (`LlamaTrainingModel.load` does).
 */
export async function openGgufWeights(source: ByteSource): Promise<TrainingWeightSource> {
  const file = await GgufFile.open(source);
  try {
    const architecture = file.get('general.architecture', 'string');
    const hfLike = configFromGguf(file.metadataRecord(), source.name);
    const config: ModelConfig = { ...hfLike, ropeStyle: 'half', tieWordEmbeddings: !file.tensors.has('output.weight') };
    const permuted = architecture === 'llama';
    if (permuted && config.headDim % 2 !== 0) throw new TrainingInputError(`${source.name}: head dimension`, 'an even head dimension (RoPE rotates pairs)', String(config.headDim), 'the GGUF does not match its own metadata');
    const linearTypes = new Set<string>();
    for (const spec of llamaParameterSpecs(config)) {
      checkTensor(file, spec);
      if (LINEAR.test(spec.name)) linearTypes.add(file.info(ggufTensorName(spec.name)).type);
    }
    const only = linearTypes.size === 1 ? [...linearTypes][0]! : undefined;
    return new GgufWeightSource(file, config, only === undefined ? undefined : QUANTIZED_BASES[only], permuted);
  } catch (error) {
    await file.close();
    throw error;
  }
}

function checkTensor(file: GgufFile, spec: ParameterSpec): void {
  const name = ggufTensorName(spec.name);
  const info = file.tensors.get(name);
  if (!info) throw new TrainingInputError(`${file.name}: ${name} (${spec.name})`, `a tensor of shape [${spec.shape.join(', ')}]`, 'nothing', 'the GGUF does not match its own metadata, or is not a Llama/Mistral/Qwen2 model');
  if (info.shape.join() !== spec.shape.join()) throw new TrainingInputError(`${file.name}: ${name}`, `shape [${spec.shape.join(', ')}]`, `[${info.shape.join(', ')}]`, 'the GGUF does not match its own metadata');
  if (!(info.type in TO_F32)) throw new TrainingInputError(`${file.name}: ${name}`, `one of ${Object.keys(TO_F32).join('/')}`, info.type, 're-quantize the model to Q8_0 or Q4_0 with llama.cpp (llama-quantize)');
}

/** `openGgufWeights` of a file on disk (Node). */
export async function openGgufWeightsFile(path: string): Promise<TrainingWeightSource> {
  return openGgufWeights(await openFileSource(path));
}

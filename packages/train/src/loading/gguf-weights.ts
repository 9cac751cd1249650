import { configFromGguf, GgufFile, openFileSource, type ByteSource, type ModelConfig } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';
import { ggufTensorName } from '../export/gguf-export.js';
import { llamaParameterSpecs } from '../model/llama-parameters.js';

export interface GgufTrainingWeights {
  /** In the training model's (Hugging Face) conventions: `half` RoPE, tying decided by `output.weight`. */
  config: ModelConfig;
  /** Every parameter by Hugging Face name, dequantized to f32, q/k rows back in Hugging Face order. */
  weights: Map<string, Float32Array>;
  /**
   * 'q8_0' or 'q4_0' when every linear weight of the layers is stored so: pass it as `baseDtype`
   * with `lora` to keep that quantization as the frozen base (QLoRA). Requantizing the dequantized
   * blocks gives the file's blocks back (the largest element of a block fixes the scale again).
   */
  baseDtype: 'q8_0' | 'q4_0' | undefined;
}

/**
 * Inverse of llama.cpp's q/k permutation (@cria/runtime's `permuteForInterleavedRope`): file row
 * (head, 2i + part) is Hugging Face row (head, part · D/2 + i). After it the model runs the `half`
 * (rotate_half) RoPE as the Hugging Face checkpoint does, so training, export and PEFT adapters all
 * see Hugging Face layouts.
 */
export function unpermuteInterleavedRope(weight: Float32Array, rows: number, columns: number, heads: number): Float32Array {
  const headDim = rows / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new TrainingInputError('q/k projection', `rows that split into ${heads} heads of even size`, String(rows), 'check the GGUF head counts');
  const half = headDim / 2;
  const out = new Float32Array(weight.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      for (let part = 0; part < 2; part++) {
        const fileRow = head * headDim + 2 * i + part;
        const hfRow = head * headDim + part * half + i;
        out.set(weight.subarray(fileRow * columns, (fileRow + 1) * columns), hfRow * columns);
      }
    }
  }
  return out;
}

const LINEAR = /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/;

/** Reads a GGUF (any source: a file, a Blob, memory) into training weights. The source is closed. */
export async function readGgufTrainingWeights(source: ByteSource): Promise<GgufTrainingWeights> {
  const file = await GgufFile.open(source);
  try {
    const architecture = file.get('general.architecture', 'string');
    const hfLike = configFromGguf(file.metadataRecord(), source.name);
    const config: ModelConfig = { ...hfLike, ropeStyle: 'half', tieWordEmbeddings: !file.tensors.has('output.weight') };
    // Only the llama architecture is permuted by convert_hf_to_gguf.py; Qwen2 keeps NEOX (half) order.
    const permuted = architecture === 'llama';
    const weights = new Map<string, Float32Array>();
    const linearTypes = new Set<string>();
    for (const spec of llamaParameterSpecs(config)) {
      const name = ggufTensorName(spec.name);
      const info = file.tensors.get(name);
      if (!info) throw new TrainingInputError(`${source.name}: ${name} (${spec.name})`, `a tensor of shape [${spec.shape.join(', ')}]`, 'nothing', 'the GGUF does not match its own metadata, or is not a Llama/Mistral/Qwen2 model');
      if (info.shape.join() !== spec.shape.join()) throw new TrainingInputError(`${source.name}: ${name}`, `shape [${spec.shape.join(', ')}]`, `[${info.shape.join(', ')}]`, 'the GGUF does not match its own metadata');
      if (LINEAR.test(spec.name)) linearTypes.add(String(info.dtype).toUpperCase());
      let data = await file.readF32(name);
      if (permuted && spec.name.endsWith('q_proj.weight')) data = unpermuteInterleavedRope(data, spec.shape[0]!, spec.shape[1]!, config.numHeads);
      if (permuted && spec.name.endsWith('k_proj.weight')) data = unpermuteInterleavedRope(data, spec.shape[0]!, spec.shape[1]!, config.numKvHeads);
      weights.set(spec.name, data);
    }
    const only = linearTypes.size === 1 ? [...linearTypes][0] : undefined;
    return { config, weights, baseDtype: only === 'Q8_0' ? 'q8_0' : only === 'Q4_0' ? 'q4_0' : undefined };
  } finally {
    await file.close();
  }
}

/** `readGgufTrainingWeights` of a file on disk (Node). */
export async function loadGgufTrainingWeights(path: string): Promise<GgufTrainingWeights> {
  return readGgufTrainingWeights(await openFileSource(path));
}

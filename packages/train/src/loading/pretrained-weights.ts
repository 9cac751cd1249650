import { fromBf16, fromF16 } from '@cria/kernels';
import { configFromHf, openSafetensors, type ModelConfig, type WeightReader } from '@cria/runtime';
import { encodeWeightsSafetensors, type HfExportDtype } from '../export/hf-export.js';
import { mergedWeights } from '../lora/merge-lora.js';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import { llamaParameterSpecs, type ParameterSpec } from '../model/llama-parameters.js';
import { TrainingInputError } from '../errors.js';
import type { SourceTensor, TrainingWeightSource } from './weight-source.js';

const WIDENED_DTYPES = ['F32', 'F16', 'BF16'];

/**
 * A Hugging Face checkpoint (an opened safetensors file or sharded index: @cria/runtime's
 * `openSafetensors`, or `openModel(...).reader` for a Blob/URL folder) as a training weight source.
 * Checks every parameter's name and shape first; F16 and BF16 tensors are widened to f32 one at a
 * time (full fine-tuning trains in f32; a QLoRA base quantizes that one tensor).
 */
export function safetensorsWeightSource(reader: WeightReader, config: ModelConfig, name: string): TrainingWeightSource {
  for (const spec of llamaParameterSpecs(config)) {
    const info = reader.tensors.get(spec.name);
    if (!info) throw new TrainingInputError(`${name}: ${spec.name}`, `a tensor of shape [${spec.shape.join(', ')}]`, 'nothing', 'the checkpoint does not match its config.json (tied embeddings? another architecture?)');
    if (info.shape.join() !== spec.shape.join()) throw new TrainingInputError(`${name}: ${spec.name}`, `shape [${spec.shape.join(', ')}]`, `[${info.shape.join(', ')}]`, 'the checkpoint belongs to a model of another size than its config.json');
    if (!WIDENED_DTYPES.includes(info.dtype)) throw new TrainingInputError(`${name}: ${spec.name}`, `one of ${WIDENED_DTYPES.join('/')}`, info.dtype, 'save the checkpoint in float32, float16 or bfloat16');
  }
  let closed = false;
  return {
    name,
    config,
    quantizedBase: undefined,
    storedBytes: (tensor) => reader.tensors.get(tensor)!.byteLength,
    async read(spec: ParameterSpec): Promise<SourceTensor> {
      const tensor = await reader.read(spec.name);
      const data = tensor.dtype === 'f16' ? fromF16(tensor.data as Uint16Array) : tensor.dtype === 'bf16' ? fromBf16(tensor.data as Uint16Array) : (tensor.data as Float32Array);
      return { dtype: 'f32', data };
    },
    async close() {
      if (closed) return;
      closed = true;
      await reader.close();
    },
  };
}

/**
 * Opens a Hugging Face model directory (config.json + model.safetensors or a sharded index) as a
 * training weight source (Node): headers only; `LlamaTrainingModel.load` reads it tensor by tensor.
 */
export async function openPretrainedWeights(directory: string): Promise<TrainingWeightSource> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const configFile = join(directory, 'config.json');
  const config = configFromHf(JSON.parse(await readFile(configFile, 'utf8')), undefined, configFile);
  const reader = await openSafetensors(directory);
  try {
    return safetensorsWeightSource(reader, config, directory);
  } catch (error) {
    await reader.close();
    throw error;
  }
}

/**
 * The model's weights as a Hugging Face `model.safetensors` (as chunks for `writeChunks`/a Blob),
 * F32 or rounded to F16/BF16. A tied model writes no `lm_head.weight`, as transformers does; a LoRA
 * model is written merged.
 */
export async function encodeModelSafetensors(model: LlamaTrainingModel, dtype: HfExportDtype = 'F32'): Promise<Uint8Array[]> {
  return encodeWeightsSafetensors(model.config, await mergedWeights(model), dtype);
}

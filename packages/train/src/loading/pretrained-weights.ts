import { fromBf16, fromF16 } from '@cria/kernels';
import { configFromHf, openSafetensors, type ModelConfig } from '@cria/runtime';
import { encodeWeightsSafetensors, type HfExportDtype } from '../export/hf-export.js';
import { mergedWeights } from '../lora/merge-lora.js';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import { llamaParameterSpecs } from '../model/llama-parameters.js';
import { TrainingInputError } from '../errors.js';

export interface PretrainedWeights {
  config: ModelConfig;
  /** Every parameter in Hugging Face names, converted to f32 (full fine-tuning trains in f32). */
  weights: Map<string, Float32Array>;
}

/**
 * Reads a Hugging Face model directory (config.json + model.safetensors or a sharded index) into f32
 * host weights for `LlamaTrainingModel.fromWeights` (Node). F16 and BF16 checkpoints are widened.
 */
export async function loadPretrainedWeights(directory: string): Promise<PretrainedWeights> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const configFile = join(directory, 'config.json');
  const config = configFromHf(JSON.parse(await readFile(configFile, 'utf8')), undefined, configFile);
  const reader = await openSafetensors(directory);
  try {
    const weights = new Map<string, Float32Array>();
    for (const spec of llamaParameterSpecs(config)) {
      if (!reader.tensors.has(spec.name)) {
        throw new TrainingInputError(`${directory}: ${spec.name}`, `a tensor of shape [${spec.shape.join(', ')}]`, 'nothing', 'the checkpoint does not match its config.json (tied embeddings? another architecture?)');
      }
      const tensor = await reader.read(spec.name);
      const data = tensor.dtype === 'f16' ? fromF16(tensor.data as Uint16Array) : tensor.dtype === 'bf16' ? fromBf16(tensor.data as Uint16Array) : (tensor.data as Float32Array);
      weights.set(spec.name, data);
    }
    return { config, weights };
  } finally {
    await reader.close();
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

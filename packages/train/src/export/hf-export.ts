import { encodeSafetensors, writeChunks, type ModelConfig } from '@cria/runtime';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import { llamaParameterSpecs } from '../model/llama-parameters.js';
import { mergedWeights } from '../lora/merge-lora.js';
import { hfConfigJson } from './hf-config.js';

export type HfExportDtype = 'F32' | 'F16' | 'BF16';

const TORCH_DTYPES = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

/** A model's weights as a Hugging Face `model.safetensors` (chunks), F32 or rounded to F16/BF16; a tied model has no `lm_head.weight`, as transformers writes it. */
export function encodeWeightsSafetensors(config: ModelConfig, weights: ReadonlyMap<string, Float32Array>, dtype: HfExportDtype = 'F32'): Uint8Array[] {
  const tensors = llamaParameterSpecs(config).map((spec) => ({ name: spec.name, dtype, shape: spec.shape, data: weights.get(spec.name)! }));
  return encodeSafetensors(tensors, { format: 'pt' });
}

export interface HfExportOptions {
  dtype?: HfExportDtype;
  /** The config.json the model came from (kept, with torch_dtype updated); default: written from the model's config. */
  sourceConfig?: Record<string, unknown>;
  /** Files copied into the output as they are (tokenizer.json, tokenizer_config.json, generation_config.json …), by name. */
  extraFiles?: Record<string, string | Uint8Array>;
}

/**
 * Writes a Hugging Face model directory (Node): config.json + model.safetensors (+ `extraFiles`).
 * A LoRA model is written merged (a plain model); transformers and `@cria/runtime` load the result.
 */
export async function exportHfModel(model: LlamaTrainingModel, directory: string, options: HfExportOptions = {}): Promise<string[]> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dtype = options.dtype ?? 'F32';
  await mkdir(directory, { recursive: true });
  const written: string[] = [];
  const config = hfConfigJson(model.config, TORCH_DTYPES[dtype], options.sourceConfig);
  await writeFile(join(directory, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  written.push(join(directory, 'config.json'));
  await writeChunks(join(directory, 'model.safetensors'), encodeWeightsSafetensors(model.config, await mergedWeights(model), dtype));
  written.push(join(directory, 'model.safetensors'));
  for (const [name, contents] of Object.entries(options.extraFiles ?? {})) {
    await writeFile(join(directory, name), contents);
    written.push(join(directory, name));
  }
  return written;
}

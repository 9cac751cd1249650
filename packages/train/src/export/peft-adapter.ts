import { fromBf16, fromF16 } from '@cria/kernels';
import { encodeSafetensors, MemoryByteSource, SafetensorsFile, writeChunks } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import { loraNames } from '../lora/lora-adapters.js';
import { LORA_MODULES, type LoraOptions, type LoraTarget } from '../lora/lora-options.js';

/** The PEFT key prefix: PeftModel wraps the transformers model as `base_model.model`. */
export const PEFT_PREFIX = 'base_model.model.';
export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';

/** adapter_config.json as PEFT writes it for a LoRA on a causal LM. */
export interface PeftAdapterConfig {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM';
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[];
  base_model_name_or_path: string | null;
  bias: 'none';
  [key: string]: unknown;
}

/**
 * A LoRA model's adapter in PEFT format: `adapter_config.json` and `adapter_model.safetensors`
 * with `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r] (F32), the
 * keys `PeftModel.from_pretrained` loads.
 */
export async function encodePeftAdapter(model: LlamaTrainingModel, baseModel: string | null = null): Promise<{ config: PeftAdapterConfig; weights: Uint8Array[] }> {
  const lora = model.lora;
  if (!lora) throw new TrainingInputError('PEFT export', 'a LoRA model', 'a model without adapters', 'build the model with { lora: { rank, ... } }, or export it as a full model (exportHfModel)');
  const { rank, alpha, dropout, targets } = lora.options;
  const config: PeftAdapterConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: rank,
    lora_alpha: alpha,
    lora_dropout: dropout,
    target_modules: targets.map((target) => LORA_MODULES[target].split('.').pop()!),
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    use_rslora: false,
    use_dora: false,
    revision: null,
  };
  const tensors = [];
  for (const module of lora.layers.keys()) {
    for (const name of Object.values(loraNames(module))) {
      tensors.push({ name: PEFT_PREFIX + name, dtype: 'F32' as const, shape: model.parameters.get(name).value.shape, data: await model.parameters.readFloat32(name) });
    }
  }
  return { config, weights: encodeSafetensors(tensors, { format: 'pt' }) };
}

/** Writes `adapter_config.json` + `adapter_model.safetensors` into `directory` (Node). */
export async function exportPeftAdapter(model: LlamaTrainingModel, directory: string, baseModel: string | null = null): Promise<string[]> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { config, weights } = await encodePeftAdapter(model, baseModel);
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, PEFT_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  await writeChunks(join(directory, PEFT_WEIGHTS_FILE), weights);
  return [join(directory, PEFT_CONFIG_FILE), join(directory, PEFT_WEIGHTS_FILE)];
}

export interface PeftAdapter {
  config: PeftAdapterConfig;
  /** For `LlamaTrainingModel.fromWeights(…, { lora: adapter.lora, adapter: adapter.weights })`. */
  lora: LoraOptions;
  /** By store name (`model.layers.0.self_attn.q_proj.lora_A.weight`), f32. */
  weights: Map<string, Float32Array>;
}

/** Reads a PEFT LoRA adapter from its two files' contents (from disk, a Blob or a fetch). */
export async function parsePeftAdapter(configText: string, weights: Uint8Array, file = PEFT_WEIGHTS_FILE): Promise<PeftAdapter> {
  const config = JSON.parse(configText) as PeftAdapterConfig;
  const refuse = (key: string, expected: string, hint: string) => {
    throw new TrainingInputError(`${PEFT_CONFIG_FILE}: ${key}`, expected, JSON.stringify(config[key]), hint);
  };
  if (config.peft_type !== 'LORA') refuse('peft_type', '"LORA"', 'only LoRA adapters are supported');
  if ((config.bias ?? 'none') !== 'none') refuse('bias', '"none"', 'train the adapter with bias="none"');
  if (config['use_dora'] === true) refuse('use_dora', 'false', 'DoRA adapters are not supported');
  if (config['use_rslora'] === true) refuse('use_rslora', 'false', 'rsLoRA scaling (alpha/√r) is not supported; merge the adapter in PEFT first');
  if (!Array.isArray(config.target_modules)) refuse('target_modules', 'a list of module names', 'a regex target_modules is not supported; list the modules');
  const targets = config.target_modules.map((module) => (Object.keys(LORA_MODULES) as LoraTarget[]).find((target) => LORA_MODULES[target].endsWith(`.${module}`)));
  if (targets.some((target) => target === undefined)) refuse('target_modules', `modules among ${Object.values(LORA_MODULES).join(', ')}`, 'adapt only the Llama linear layers');
  const reader = await SafetensorsFile.open(new MemoryByteSource(weights, file));
  const tensors = new Map<string, Float32Array>();
  for (const name of reader.tensors.keys()) {
    if (!name.startsWith(PEFT_PREFIX)) throw new TrainingInputError(`${file}: ${name}`, `a key starting with '${PEFT_PREFIX}'`, name, 'the file is not a PEFT adapter of a causal LM');
    const tensor = await reader.read(name);
    const data = tensor.dtype === 'f16' ? fromF16(tensor.data as Uint16Array) : tensor.dtype === 'bf16' ? fromBf16(tensor.data as Uint16Array) : (tensor.data as Float32Array);
    // PEFT saves `lora_A.weight` (adapter name stripped); older versions may keep `lora_A.default.weight`.
    tensors.set(name.slice(PEFT_PREFIX.length).replace(/\.lora_([AB])\.default\.weight$/, '.lora_$1.weight'), data);
  }
  return { config, lora: { rank: config.r, alpha: config.lora_alpha, dropout: config.lora_dropout, targets: targets as LoraTarget[] }, weights: tensors };
}

/** Reads `adapter_config.json` + `adapter_model.safetensors` from a directory (Node). */
export async function loadPeftAdapter(directory: string): Promise<PeftAdapter> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const weightsFile = join(directory, PEFT_WEIGHTS_FILE);
  return parsePeftAdapter(await readFile(join(directory, PEFT_CONFIG_FILE), 'utf8'), new Uint8Array(await readFile(weightsFile)), weightsFile);
}

/** The options every command that loads a model shares, and how they become engine options. */
import type { BackendChoice } from '@cria/kernels';
import type { KvCacheType } from '../engine-types.js';
import type { CommandOption, OptionValues } from './command.js';
import { optionalChoice, optionalNumber, requireString } from './command-options.js';

export const BACKENDS = ['auto', 'webgpu', 'wasm', 'reference'] as const satisfies readonly BackendChoice[];
const KV_CACHE_TYPES = ['f16', 'f32'] as const satisfies readonly KvCacheType[];

export const MODEL_OPTIONS: Record<string, CommandOption> = {
  model: { type: 'string', short: 'm', placeholder: 'dir|file.gguf|url', description: 'a Hugging Face model directory (config.json + *.safetensors + tokenizer.json), a .gguf file, or a URL' },
  backend: { type: 'string', short: 'b', placeholder: BACKENDS.join('|'), description: 'where the model runs; auto picks WebGPU on a hardware adapter, else wasm', defaultText: 'auto' },
  context: { type: 'string', placeholder: 'tokens', description: "context length the KV cache is allocated for", defaultText: "min(model's, 4096)" },
  'kv-cache': { type: 'string', placeholder: KV_CACHE_TYPES.join('|'), description: 'element type of the KV cache: f16 takes half the memory', defaultText: 'f16 on WebGPU, f32 on wasm' },
};

export interface ModelSelection {
  model: string;
  backend: BackendChoice;
  contextLength: number | undefined;
  kvCacheType: KvCacheType | undefined;
}

export function readModelOptions(values: OptionValues, command: string): ModelSelection {
  return {
    model: requireString(values, 'model', command),
    backend: optionalChoice(values, 'backend', BACKENDS, command) ?? 'auto',
    contextLength: optionalNumber(values, 'context', command, { min: 16, max: 1 << 20, integer: true }),
    kvCacheType: optionalChoice(values, 'kv-cache', KV_CACHE_TYPES, command),
  };
}

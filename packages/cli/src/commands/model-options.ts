/** The options every command that loads a model shares, and how they become engine options. */
import type { BackendChoice } from '@cria/kernels';
import type { CommandOption, OptionValues } from './command.js';
import { optionalChoice, optionalNumber, requireString } from './command-options.js';

export const BACKENDS = ['auto', 'webgpu', 'wasm', 'reference'] as const satisfies readonly BackendChoice[];

export const MODEL_OPTIONS: Record<string, CommandOption> = {
  model: { type: 'string', short: 'm', placeholder: 'dir|file.gguf|url', description: 'a Hugging Face model directory (config.json + *.safetensors + tokenizer.json), a .gguf file, or a URL' },
  backend: { type: 'string', short: 'b', placeholder: BACKENDS.join('|'), description: 'where the model runs; auto picks WebGPU on a hardware adapter, else wasm', defaultText: 'auto' },
  context: { type: 'string', placeholder: 'tokens', description: "context length the KV cache is allocated for", defaultText: "min(model's, 4096)" },
};

export interface ModelSelection {
  model: string;
  backend: BackendChoice;
  contextLength: number | undefined;
}

export function readModelOptions(values: OptionValues, command: string): ModelSelection {
  return {
    model: requireString(values, 'model', command),
    backend: optionalChoice(values, 'backend', BACKENDS, command) ?? 'auto',
    contextLength: optionalNumber(values, 'context', command, { min: 16, max: 1 << 20, integer: true }),
  };
}

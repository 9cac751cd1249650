/** Sampling options shared by `generate` and `chat`, read into the engine's OpenAI-shaped fields. */
import type { SamplingParams } from '../engine-types.js';
import type { CommandOption, OptionValues } from './command.js';
import { optionalNumber } from './command-options.js';

export const SAMPLING_OPTIONS: Record<string, CommandOption> = {
  'max-tokens': { type: 'string', short: 'n', placeholder: 'N', description: 'most tokens to generate', defaultText: 'until a stop or the end of the context' },
  temperature: { type: 'string', short: 't', placeholder: 'T', description: '0 is greedy; higher is more random', defaultText: 'the engine default, 1' },
  'top-p': { type: 'string', placeholder: 'P', description: 'nucleus sampling: keep the most likely tokens up to this total probability' },
  'top-k': { type: 'string', placeholder: 'K', description: 'keep only the K most likely tokens' },
  'min-p': { type: 'string', placeholder: 'P', description: 'drop tokens less likely than P times the most likely one' },
  'repetition-penalty': { type: 'string', placeholder: 'X', description: 'divide the logits of tokens already in the context by X (1 = off)' },
  seed: { type: 'string', short: 's', placeholder: 'N', description: 'same seed, same output' },
  stop: { type: 'string', multiple: true, placeholder: 'text', description: 'stop when the output contains this text' },
};

export function readSamplingOptions(values: OptionValues, command: string): SamplingParams {
  const params: SamplingParams = {
    max_tokens: optionalNumber(values, 'max-tokens', command, { min: 1, max: 1 << 20, integer: true }),
    temperature: optionalNumber(values, 'temperature', command, { min: 0, max: 2 }),
    top_p: optionalNumber(values, 'top-p', command, { min: 0, max: 1 }),
    top_k: optionalNumber(values, 'top-k', command, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }),
    min_p: optionalNumber(values, 'min-p', command, { min: 0, max: 1 }),
    repetition_penalty: optionalNumber(values, 'repetition-penalty', command, { min: 0.01, max: 10 }),
    seed: optionalNumber(values, 'seed', command, { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true }),
    stop: Array.isArray(values.stop) && values.stop.length > 0 ? values.stop : undefined,
  };
  for (const key of Object.keys(params) as Array<keyof SamplingParams>) if (params[key] === undefined) delete params[key];
  return params;
}

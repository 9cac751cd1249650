import type { SamplerOptions } from '../sampling/sampler.js';
import { randomSeed } from '../sampling/seeded-rng.js';
import type { ChatMessage, SamplingParams } from './api-types.js';
import { InvalidRequestError } from './engine-errors.js';

/**
 * Request checks with OpenAI's ranges, each failure an InvalidRequestError naming the `param`, so
 * the HTTP server can answer 400 with the field the client got wrong.
 */

const ROLES = new Set(['system', 'user', 'assistant']);
/** OpenAI's limit on stop sequences. */
export const MAX_STOP_STRINGS = 4;
export const MAX_TOP_LOGPROBS = 20;

export interface GenerationSettings {
  sampler: SamplerOptions;
  /** undefined: until the context is full. */
  maxTokens: number | undefined;
  stopStrings: string[];
  stopTokenIds: number[];
  stream: boolean;
}

function number(value: unknown, param: string, fallback: number, min: number, max: number, integer = false): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidRequestError(`'${param}' must be a number, got ${JSON.stringify(value)}`, param, 'invalid_type');
  if (integer && !Number.isInteger(value)) throw new InvalidRequestError(`'${param}' must be an integer, got ${value}`, param);
  if (value < min || value > max) throw new InvalidRequestError(`'${param}' must be between ${min} and ${max}, got ${value}`, param);
  return value;
}

function tokenId(value: unknown, param: string, vocabSize: number): number {
  const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new InvalidRequestError(`'${param}' must hold token ids in [0, ${vocabSize}), got ${JSON.stringify(value)}`, param);
  }
  return id;
}

export function validateMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new InvalidRequestError("'messages' must be a non-empty array of { role, content }", 'messages', 'invalid_type');
  messages.forEach((message: unknown, index) => {
    const { role, content } = (message ?? {}) as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new InvalidRequestError(`'messages[${index}].role' must be one of ${[...ROLES].join(', ')}, got ${JSON.stringify(role)}`, `messages[${index}].role`);
    }
    if (typeof content !== 'string') throw new InvalidRequestError(`'messages[${index}].content' must be a string`, `messages[${index}].content`, 'invalid_type');
  });
  return messages as ChatMessage[];
}

export function validatePrompt(prompt: unknown): string {
  if (typeof prompt !== 'string') throw new InvalidRequestError("'prompt' must be a string", 'prompt', 'invalid_type');
  return prompt;
}

/** Checks every sampling field and fills in the defaults (temperature 1, no truncation, no penalties). */
export function validateSampling(request: SamplingParams & { stream?: unknown; signal?: unknown }, vocabSize: number): GenerationSettings {
  if (request.stream !== undefined && typeof request.stream !== 'boolean') throw new InvalidRequestError("'stream' must be a boolean", 'stream', 'invalid_type');
  if (request.signal !== undefined && !(request.signal instanceof AbortSignal)) throw new InvalidRequestError("'signal' must be an AbortSignal", 'signal', 'invalid_type');
  if (request.logprobs !== undefined && typeof request.logprobs !== 'boolean') throw new InvalidRequestError("'logprobs' must be a boolean", 'logprobs', 'invalid_type');
  const logprobs = request.logprobs === true;
  const topLogprobs = number(request.top_logprobs, 'top_logprobs', 0, 0, MAX_TOP_LOGPROBS, true);
  if (topLogprobs > 0 && !logprobs) throw new InvalidRequestError("'top_logprobs' needs 'logprobs': true", 'top_logprobs');

  const logitBias = new Map<number, number>();
  if (request.logit_bias !== undefined && request.logit_bias !== null) {
    if (typeof request.logit_bias !== 'object' || Array.isArray(request.logit_bias)) throw new InvalidRequestError("'logit_bias' must be an object of token id → bias", 'logit_bias', 'invalid_type');
    for (const [key, bias] of Object.entries(request.logit_bias)) logitBias.set(tokenId(key, 'logit_bias', vocabSize), number(bias, `logit_bias.${key}`, 0, -100, 100));
  }

  let stopStrings: string[] = [];
  if (request.stop !== undefined && request.stop !== null) {
    if (!Array.isArray(request.stop) && typeof request.stop !== 'string') throw new InvalidRequestError("'stop' must be a string or an array of strings", 'stop', 'invalid_type');
    stopStrings = typeof request.stop === 'string' ? [request.stop] : (request.stop as unknown[]).map((stop) => stop as string);
    if (stopStrings.length > MAX_STOP_STRINGS) throw new InvalidRequestError(`'stop' holds at most ${MAX_STOP_STRINGS} strings, got ${stopStrings.length}`, 'stop');
    if (stopStrings.some((stop) => typeof stop !== 'string' || stop.length === 0)) throw new InvalidRequestError("'stop' strings must be non-empty", 'stop');
  }

  let stopTokenIds: number[] = [];
  if (request.stop_token_ids !== undefined && request.stop_token_ids !== null) {
    if (!Array.isArray(request.stop_token_ids)) throw new InvalidRequestError("'stop_token_ids' must be an array of token ids", 'stop_token_ids', 'invalid_type');
    stopTokenIds = request.stop_token_ids.map((id) => tokenId(id, 'stop_token_ids', vocabSize));
  }

  const seed = request.seed === undefined || request.seed === null ? randomSeed() : number(request.seed, 'seed', 0, -(2 ** 53), 2 ** 53, true);
  return {
    sampler: {
      temperature: number(request.temperature, 'temperature', 1, 0, 2),
      topK: number(request.top_k, 'top_k', 0, 0, vocabSize, true),
      topP: number(request.top_p, 'top_p', 1, Number.MIN_VALUE, 1),
      minP: number(request.min_p, 'min_p', 0, 0, 1),
      repetitionPenalty: number(request.repetition_penalty, 'repetition_penalty', 1, Number.MIN_VALUE, 10),
      frequencyPenalty: number(request.frequency_penalty, 'frequency_penalty', 0, -2, 2),
      presencePenalty: number(request.presence_penalty, 'presence_penalty', 0, -2, 2),
      logitBias,
      // Seeds beyond 32 bits fold into the generator's state.
      seed: Number(BigInt.asUintN(32, BigInt(seed))),
      logprobs,
      topLogprobs,
    },
    maxTokens: request.max_tokens === undefined || request.max_tokens === null ? undefined : number(request.max_tokens, 'max_tokens', 1, 1, Number.MAX_SAFE_INTEGER, true),
    stopStrings,
    stopTokenIds,
    stream: request.stream === true,
  };
}

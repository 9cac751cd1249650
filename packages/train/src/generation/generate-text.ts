import { generate, LlamaModel, modelStopTokens, Sampler, type FinishReason } from '@cria/runtime';
import type { ChatMessage, Tokenizer } from '@cria/tokenizer';
import { TrainingInputError } from '../errors.js';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import { trainingModelWeights } from './training-model-weights.js';

/** What to sample from the model being trained. Exactly one of `prompt` and `messages`. */
export interface GenerateTextOptions {
  /** Raw text, tokenized as createEngine's `completions.create` does (the tokenizer's special tokens added). */
  prompt?: string;
  /** A chat, rendered by the tokenizer's chat template with the generation prompt, as `chat.completions.create` does. */
  messages?: ChatMessage[];
  /** Default 64. */
  maxTokens?: number;
  /** 0 = greedy (the default). */
  temperature?: number;
  /** 0 = off (default). */
  topK?: number;
  /** 1 = off (default). */
  topP?: number;
  /** 0 = off (default). */
  minP?: number;
  /** Seeds the sampler's draws. Default 0. */
  seed?: number;
  stop?: string[];
  signal?: AbortSignal;
}

export interface GeneratedText {
  text: string;
  tokenIds: number[];
  promptTokens: number;
  finishReason: FinishReason;
}

/**
 * Samples text from the model being trained, in inference mode: @cria/runtime's LlamaModel runs
 * over the training model's own parameter tensors (no weight is copied; a LoRA model's adapters
 * are applied unmerged over its frozen base), with a KV cache sized for this call and freed after
 * it, and @cria/runtime's sampler and token streaming. Nothing is saved for a backward: the
 * training activations and gradients are not touched, so training continues unaffected.
 *
 * ```ts
 * const { text } = await generateText(model, tokenizer, { messages: [{ role: 'user', content: 'hi' }] });
 * ```
 */
export async function generateText(model: LlamaTrainingModel, tokenizer: Tokenizer, options: GenerateTextOptions): Promise<GeneratedText> {
  const promptIds = encodePrompt(tokenizer, options);
  const maxTokens = options.maxTokens ?? 64;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new TrainingInputError('maxTokens', 'a positive integer', String(maxTokens), 'ask for at least one token');
  const llama = new LlamaModel(model.backend, model.config, trainingModelWeights(model));
  const cache = llama.createCache(promptIds.length + maxTokens);
  const sampler = new Sampler({
    temperature: options.temperature ?? 0,
    topK: options.topK ?? 0,
    topP: options.topP ?? 1,
    minP: options.minP ?? 0,
    repetitionPenalty: 1,
    frequencyPenalty: 0,
    presencePenalty: 0,
    logitBias: new Map(),
    seed: options.seed ?? 0,
    topLogprobs: 0,
    logprobs: false,
  });
  try {
    let text = '';
    const events = generate(llama, cache, tokenizer, {
      promptIds, sampler, maxTokens, stopStrings: options.stop ?? [], stopTokenIds: modelStopTokens(tokenizer, model.config.eosTokenIds), signal: options.signal,
    });
    for await (const event of events) {
      if (event.type === 'text') text += event.text;
      else return { text, tokenIds: event.tokenIds, promptTokens: promptIds.length, finishReason: event.finishReason };
    }
    throw new Error('unreachable: generate ends with an end event');
  } finally {
    cache.dispose();
  }
}

function encodePrompt(tokenizer: Tokenizer, { prompt, messages }: GenerateTextOptions): number[] {
  if ((prompt === undefined) === (messages === undefined)) {
    throw new TrainingInputError('generateText', 'either prompt or messages', prompt === undefined ? 'neither' : 'both', 'pass { prompt: "…" } for raw text or { messages: [{ role, content }] } for a chat');
  }
  // The chat template spells the control tokens itself, as createEngine's chat does.
  const ids = messages ? tokenizer.encode(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }), { allowedSpecial: 'all', addSpecialTokens: false }) : tokenizer.encode(prompt!);
  if (ids.length === 0) throw new TrainingInputError('prompt', 'text that encodes to at least one token', 'no tokens', 'give some text');
  return ids;
}

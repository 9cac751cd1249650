import type { Tokenizer } from '@cria/tokenizer';
import type { FinishReason, TokenLogprob, Usage } from '../engine/api-types.js';
import type { KvCache } from '../model/kv-cache.js';
import type { LlamaModel } from '../model/llama-model.js';
import type { Sampler, TokenChoice } from '../sampling/sampler.js';
import { StopStringMatcher } from './stop-strings.js';
import { tokenBytes } from './token-bytes.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

export interface GenerationInput {
  promptIds: readonly number[];
  sampler: Sampler;
  /** Tokens to sample at most (the stop token included). */
  maxTokens: number;
  stopStrings: readonly string[];
  stopTokenIds: ReadonlySet<number>;
  signal?: AbortSignal;
}

export type LogprobEntry = TokenLogprob & { top_logprobs: TokenLogprob[] };

export type GenerationEvent =
  | { type: 'text'; text: string; logprobs: LogprobEntry[] }
  | { type: 'end'; finishReason: FinishReason; usage: Usage; tokenIds: number[] };

const now = () => globalThis.performance.now();

function tokenLogprob(tokenizer: Tokenizer, choice: TokenChoice): TokenLogprob {
  const token = tokenizer.decode([choice.id], { cleanUpTokenizationSpaces: false });
  return { token, logprob: choice.logprob, bytes: tokenBytes(tokenizer, choice.id, token) };
}

/**
 * Prefills the prompt (only the part after the longest prefix already in `cache`) and samples
 * token by token until a stop token, a stop string, max_tokens or the abort signal. Yields text as
 * soon as it is complete UTF-8 and cannot be the start of a stop string, then one 'end' event.
 * The cache keeps the prompt and the generated tokens, for the next turn's prefix reuse.
 */
export async function* generate(model: LlamaModel, cache: KvCache, tokenizer: Tokenizer, input: GenerationInput): AsyncGenerator<GenerationEvent> {
  const { promptIds, sampler, signal } = input;
  // At least the last prompt token runs, since its logits give the first new token.
  const reused = Math.min(cache.commonPrefixLength(promptIds), promptIds.length - 1);
  cache.truncate(reused);
  const prefillIds = promptIds.slice(reused);
  const decoder = tokenizer.createStreamDecoder({ skipSpecialTokens: true });
  const stops = new StopStringMatcher(input.stopStrings);
  const generated: number[] = [];
  const context = [...promptIds];
  let pendingLogprobs: LogprobEntry[] = [];
  let finishReason: FinishReason = 'length';
  let prefillSeconds = 0;
  let decodeSeconds = 0;
  let decodeSteps = 0;
  let prefilled = false;

  if (signal?.aborted) finishReason = 'abort';
  else {
    const prefillStart = now();
    // One logits array for the whole generation: the sampler is done with a step's before the next.
    const logits = await model.forwardInto(prefillIds, cache, new Float32Array(model.config.vocabSize));
    prefillSeconds = (now() - prefillStart) / 1000;
    prefilled = true;
    while (generated.length < input.maxTokens) {
      const choice = sampler.sample(logits, context, generated);
      generated.push(choice.id);
      context.push(choice.id);
      if (sampler.options.logprobs) pendingLogprobs.push({ ...tokenLogprob(tokenizer, choice), top_logprobs: choice.top.map((top) => tokenLogprob(tokenizer, top)) });
      if (input.stopTokenIds.has(choice.id)) {
        finishReason = 'stop';
        break;
      }
      const shown = stops.push(decoder.push(choice.id));
      if (shown.text.length > 0) {
        yield { type: 'text', text: shown.text, logprobs: pendingLogprobs };
        pendingLogprobs = [];
      }
      if (shown.stopped) {
        finishReason = 'stop';
        break;
      }
      await yieldToEventLoop();
      if (signal?.aborted) {
        finishReason = 'abort';
        break;
      }
      if (generated.length >= input.maxTokens) break;
      const stepStart = now();
      await model.forwardInto([choice.id], cache, logits);
      decodeSeconds += (now() - stepStart) / 1000;
      decodeSteps++;
    }
  }
  let rest = '';
  if (!stops.stopped) {
    // Bytes still held by the decoder (an incomplete character) may complete a stop string.
    const last = stops.push(decoder.flush());
    if (last.stopped) finishReason = 'stop';
    rest = last.text + stops.flush();
  }
  if (rest.length > 0 || pendingLogprobs.length > 0) yield { type: 'text', text: rest, logprobs: pendingLogprobs };

  const usage: Usage = {
    prompt_tokens: promptIds.length,
    completion_tokens: generated.length,
    total_tokens: promptIds.length + generated.length,
    prefill_tokens: prefilled ? prefillIds.length : 0,
    prefill_tokens_per_second: prefillSeconds > 0 ? prefillIds.length / prefillSeconds : 0,
    decode_tokens_per_second: decodeSeconds > 0 ? decodeSteps / decodeSeconds : 0,
  };
  yield { type: 'end', finishReason, usage, tokenIds: generated };
}

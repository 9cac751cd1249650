/**
 * `/v1/completions` answers logprobs in OpenAI's legacy completions shape, which clients of that
 * endpoint parse: parallel arrays `tokens`, `token_logprobs`, `text_offset` and `top_logprobs` (one
 * token → logprob object per position). The engine (like web-llm) gives completions the chat shape,
 * `{ content: [{ token, logprob, bytes, top_logprobs: [...] }] }`; this module converts one into the
 * other, for whole responses and for streams, whose offsets continue from chunk to chunk.
 */
import type { Completion, CompletionChunk } from '../engine-types.js';

type ChatLogprobs = NonNullable<Completion['choices'][number]['logprobs']>;

export interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: number[];
  /**
   * The requested number of alternatives plus the sampled token, as OpenAI does ("up to logprobs + 1
   * elements"). Tokens that decode to the same text share a key: the likelier one is kept.
   */
  top_logprobs: Array<Record<string, number>>;
  /**
   * Where each token starts: the prompt's length plus the lengths of the token texts before it, in
   * UTF-16 code units, counted as vLLM does. Special tokens, which the completion's `text` leaves
   * out, still count their own text here.
   */
  text_offset: number[];
}

export type LegacyCompletion = Omit<Completion, 'choices'> & {
  choices: Array<Omit<Completion['choices'][number], 'logprobs'> & { logprobs: LegacyLogprobs | null }>;
};
export type LegacyCompletionChunk = Omit<CompletionChunk, 'choices'> & {
  choices: Array<Omit<CompletionChunk['choices'][number], 'logprobs'> & { logprobs: LegacyLogprobs | null }>;
};

/** Converts the entries of one response or chunk; `offset` is where the first token starts and moves past the last. */
function convert(logprobs: ChatLogprobs | null, offset: { next: number }): LegacyLogprobs | null {
  if (!logprobs) return null;
  const legacy: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const entry of logprobs.content) {
    legacy.tokens.push(entry.token);
    legacy.token_logprobs.push(entry.logprob);
    legacy.text_offset.push(offset.next);
    offset.next += entry.token.length;
    const top: Record<string, number> = {};
    for (const alternative of entry.top_logprobs) if (!(alternative.token in top)) top[alternative.token] = alternative.logprob;
    if (!(entry.token in top)) top[entry.token] = entry.logprob;
    legacy.top_logprobs.push(top);
  }
  return legacy;
}

/** A whole completion whose prompt was `promptLength` characters long. */
export function legacyCompletion(completion: Completion, promptLength: number): LegacyCompletion {
  const offset = { next: promptLength };
  return { ...completion, choices: completion.choices.map((choice) => ({ ...choice, logprobs: convert(choice.logprobs, offset) })) };
}

/** A stream of completion chunks, offsets running on across chunks. */
export async function* legacyCompletionChunks(chunks: AsyncIterable<CompletionChunk>, promptLength: number): AsyncGenerator<LegacyCompletionChunk> {
  const offset = { next: promptLength };
  for await (const chunk of chunks) {
    yield { ...chunk, choices: chunk.choices.map((choice) => ({ ...choice, logprobs: convert(choice.logprobs, offset) })) };
  }
}

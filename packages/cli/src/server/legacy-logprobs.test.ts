import { describe, expect, it } from 'vitest';
import type { Completion, CompletionChunk } from '../engine-types.js';
import { legacyCompletion, legacyCompletionChunks } from './legacy-logprobs.js';

const entry = (token: string, logprob: number, alternatives: Array<[string, number]>) => ({
  token,
  logprob,
  bytes: [...new TextEncoder().encode(token)],
  top_logprobs: alternatives.map(([text, value]) => ({ token: text, logprob: value, bytes: [...new TextEncoder().encode(text)] })),
});

const usage = { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4, prefill_tokens: 2, prefill_tokens_per_second: 1, decode_tokens_per_second: 1 };
const base = { id: 'cmpl-1', object: 'text_completion' as const, created: 0, model: 'm' };

describe('legacy completion logprobs', () => {
  it('turns chat-shaped entries into parallel arrays with offsets after the prompt', () => {
    const completion: Completion = {
      ...base,
      choices: [
        {
          index: 0,
          text: ' big cat',
          finish_reason: 'length',
          // ' cat' was sampled below its alternatives' top: it joins them, as OpenAI's "logprobs + 1".
          logprobs: { content: [entry(' big', -0.1, [[' big', -0.1], [' small', -2.5]]), entry(' cat', -3, [[' dog', -0.5], [' dog', -0.9]])] },
        },
      ],
      usage,
    };
    expect(legacyCompletion(completion, 'A'.length).choices[0]!.logprobs).toEqual({
      tokens: [' big', ' cat'],
      token_logprobs: [-0.1, -3],
      // Two alternatives decoding to the same text share one key; the likelier stays.
      top_logprobs: [{ ' big': -0.1, ' small': -2.5 }, { ' dog': -0.5, ' cat': -3 }],
      text_offset: [1, 5],
    });
  });

  it('leaves logprobs null when none were asked for', () => {
    const completion: Completion = { ...base, choices: [{ index: 0, text: 'x', finish_reason: 'stop', logprobs: null }], usage };
    expect(legacyCompletion(completion, 3).choices[0]!.logprobs).toBeNull();
  });

  it('runs the offsets on across stream chunks, and the end chunk has none', async () => {
    async function* chunks(): AsyncGenerator<CompletionChunk> {
      yield { ...base, choices: [{ index: 0, text: 'ab', finish_reason: null, logprobs: { content: [entry('a', -1, []), entry('b', -2, [])] } }] };
      yield { ...base, choices: [{ index: 0, text: 'cd', finish_reason: null, logprobs: { content: [entry('cd', -3, [])] } }] };
      yield { ...base, choices: [{ index: 0, text: '', finish_reason: 'stop', logprobs: null }], usage };
    }
    const converted = [];
    for await (const chunk of legacyCompletionChunks(chunks(), 10)) converted.push(chunk.choices[0]!.logprobs);
    expect(converted.map((logprobs) => logprobs?.text_offset ?? null)).toEqual([[10, 11], [12], null]);
    expect(converted[1]).toEqual({ tokens: ['cd'], token_logprobs: [-3], top_logprobs: [{ cd: -3 }], text_offset: [12] });
  });
});

import type { GenerationEvent, LogprobEntry } from '../generation/generate.js';
import type { ChatCompletion, ChatCompletionChunk, ChoiceLogprobs, Completion, CompletionChunk, FinishReason, Usage } from './api-types.js';

/** OpenAI-shaped response objects from the generation events: streamed chunks or one whole response. */

export interface ResponseContext {
  id: string;
  created: number;
  model: string;
  logprobs: boolean;
}

export function responseContext(prefix: string, model: string, logprobs: boolean): ResponseContext {
  const random = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return { id: `${prefix}-${random}`, created: Math.floor(Date.now() / 1000), model, logprobs };
}

const logprobsOf = (context: ResponseContext, entries: LogprobEntry[]): ChoiceLogprobs | null => (context.logprobs ? { content: entries } : null);

export async function* chatChunks(context: ResponseContext, events: AsyncIterable<GenerationEvent>): AsyncGenerator<ChatCompletionChunk> {
  const base = { id: context.id, object: 'chat.completion.chunk' as const, created: context.created, model: context.model };
  yield { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }] };
  for await (const event of events) {
    if (event.type === 'text') {
      yield { ...base, choices: [{ index: 0, delta: { content: event.text }, finish_reason: null, logprobs: logprobsOf(context, event.logprobs) }] };
    } else {
      yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: event.finishReason, logprobs: null }], usage: event.usage };
    }
  }
}

export async function* completionChunks(context: ResponseContext, events: AsyncIterable<GenerationEvent>): AsyncGenerator<CompletionChunk> {
  const base = { id: context.id, object: 'text_completion' as const, created: context.created, model: context.model };
  for await (const event of events) {
    if (event.type === 'text') yield { ...base, choices: [{ index: 0, text: event.text, finish_reason: null, logprobs: logprobsOf(context, event.logprobs) }] };
    else yield { ...base, choices: [{ index: 0, text: '', finish_reason: event.finishReason, logprobs: null }], usage: event.usage };
  }
}

interface Collected {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  logprobs: ChoiceLogprobs | null;
}

async function collect(context: ResponseContext, events: AsyncIterable<GenerationEvent>): Promise<Collected> {
  let text = '';
  const entries: LogprobEntry[] = [];
  for await (const event of events) {
    if (event.type === 'text') {
      text += event.text;
      entries.push(...event.logprobs);
    } else return { text, finishReason: event.finishReason, usage: event.usage, logprobs: logprobsOf(context, entries) };
  }
  throw new Error('generation ended without an end event');
}

export async function chatCompletion(context: ResponseContext, events: AsyncIterable<GenerationEvent>): Promise<ChatCompletion> {
  const { text, finishReason, usage, logprobs } = await collect(context, events);
  return {
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason, logprobs }],
    usage,
  };
}

export async function completion(context: ResponseContext, events: AsyncIterable<GenerationEvent>): Promise<Completion> {
  const { text, finishReason, usage, logprobs } = await collect(context, events);
  return { id: context.id, object: 'text_completion', created: context.created, model: context.model, choices: [{ index: 0, text, finish_reason: finishReason, logprobs }], usage };
}

/**
 * TEST DOUBLE, for the HTTP-protocol tests only: a deterministic `Engine` that "generates" the words
 * of `echo: <last user message>` one token at a time, with a configurable delay per token. It
 * records every request, how it ended (so tests can assert that a disconnect reached the engine)
 * and how many generations ever overlapped (the server must run one at a time).
 *
 * Triggers in the prompt: `[context-overflow]` throws the runtime's ContextLengthExceededError before
 * the first token; `[fail-mid-stream]` throws a plain Error after two tokens.
 * The end-to-end tests (cli.test.ts) run the real engine on a generated model instead.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionChunk,
  CompletionRequest,
  Engine,
  FinishReason,
  ModelInfo,
  Usage,
} from '../src/engine-types.js';
import { ContextLengthExceededError } from '@cria/runtime';

export interface ScriptedEngineOptions {
  tokenDelayMs?: number;
  id?: string;
}

export interface ScriptedRequestRecord {
  kind: 'chat' | 'completion';
  prompt: string;
  stream: boolean;
  finishReason: FinishReason | 'error' | undefined;
  /** Whether the request's AbortSignal fired while it ran. */
  sawAbort: boolean;
}

export class ScriptedEngine implements Engine {
  readonly model: ModelInfo;
  readonly requests: ScriptedRequestRecord[] = [];
  running = 0;
  maxConcurrent = 0;
  disposed = false;
  private readonly tokenDelayMs: number;

  readonly chat = {
    completions: {
      create: ((request: ChatCompletionRequest) => this.create('chat', request)) as Engine['chat']['completions']['create'],
    },
  };
  readonly completions = {
    create: ((request: CompletionRequest) => this.create('completion', request)) as Engine['completions']['create'],
  };

  constructor(options: ScriptedEngineOptions = {}) {
    this.tokenDelayMs = options.tokenDelayMs ?? 0;
    this.model = { id: options.id ?? 'scripted-model', architecture: 'scripted', parameters: 0, contextLength: 256, kvCacheType: 'f32', kvCacheBytes: 0, vocabSize: 0, backend: 'scripted (test double)', backendReason: 'requested' };
  }

  async logits(): Promise<Float32Array> {
    throw new Error('ScriptedEngine has no logits');
  }
  tokenize(text: string): number[] {
    return [...text].map((character) => character.codePointAt(0)!);
  }
  detokenize(ids: readonly number[]): string {
    return String.fromCodePoint(...ids);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }

  private async create(kind: 'chat' | 'completion', request: ChatCompletionRequest | CompletionRequest): Promise<never> {
    const prompt = 'messages' in request ? request.messages.filter((message) => message.role === 'user').at(-1)?.content ?? '' : request.prompt;
    if (prompt.includes('[context-overflow]')) throw new ContextLengthExceededError(300, request.max_tokens ?? 16, 256);
    const record: ScriptedRequestRecord = { kind, prompt, stream: request.stream === true, finishReason: undefined, sawAbort: false };
    this.requests.push(record);
    const words = `echo: ${prompt}`.split(' ').map((word, index) => (index === 0 ? word : ` ${word}`));
    const tokens = generate(words, request.max_tokens ?? 64, this.tokenDelayMs, request.signal, prompt.includes('[fail-mid-stream]'), record, this);
    const promptTokens = prompt.split(' ').length;
    const id = `${kind}-${this.requests.length}`;

    if (request.stream) {
      return (kind === 'chat' ? chatChunks(id, this.model.id, tokens, promptTokens) : completionChunks(id, this.model.id, tokens, promptTokens)) as never;
    }
    let text = '';
    let finish: FinishReason = 'stop';
    let generated = 0;
    for await (const step of tokens) {
      if (step.text) {
        text += step.text;
        generated++;
      }
      if (step.finish) finish = step.finish;
    }
    const usage = usageFor(promptTokens, generated);
    const created = 1_700_000_000;
    const result: ChatCompletion | Completion =
      kind === 'chat'
        ? { id, object: 'chat.completion', created, model: this.model.id, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish, logprobs: null }], usage }
        : { id, object: 'text_completion', created, model: this.model.id, choices: [{ index: 0, text, finish_reason: finish, logprobs: null }], usage };
    return result as never;
  }
}

interface Step {
  text?: string;
  finish?: FinishReason;
}

async function* generate(
  words: string[],
  maxTokens: number,
  delayMs: number,
  signal: AbortSignal | undefined,
  failMidStream: boolean,
  record: ScriptedRequestRecord,
  engine: ScriptedEngine,
): AsyncGenerator<Step> {
  engine.running++;
  engine.maxConcurrent = Math.max(engine.maxConcurrent, engine.running);
  const onAbort = () => (record.sawAbort = true);
  signal?.addEventListener('abort', onAbort, { once: true });
  let count = 0;
  try {
    for (const word of words) {
      if (count === maxTokens) return void (yield { finish: (record.finishReason = 'length') });
      if (delayMs > 0) await delay(delayMs, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) return void (yield { finish: (record.finishReason = 'abort') });
      if (failMidStream && count === 2) {
        record.finishReason = 'error';
        throw new Error('scripted failure in the middle of a stream');
      }
      count++;
      yield { text: word };
    }
    yield { finish: (record.finishReason = 'stop') };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    engine.running--;
  }
}

function usageFor(promptTokens: number, completion: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion, prefill_tokens: promptTokens, prefill_tokens_per_second: 1000, decode_tokens_per_second: 100 };
}

async function* chatChunks(id: string, model: string, steps: AsyncIterable<Step>, promptTokens: number): AsyncGenerator<ChatCompletionChunk> {
  const base = { id, object: 'chat.completion.chunk' as const, created: 1_700_000_000, model };
  let generated = 0;
  for await (const step of steps) {
    if (step.text !== undefined) {
      yield { ...base, choices: [{ index: 0, delta: generated === 0 ? { role: 'assistant', content: step.text } : { content: step.text }, finish_reason: null, logprobs: null }] };
      generated++;
    }
    if (step.finish) yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: step.finish, logprobs: null }], usage: usageFor(promptTokens, generated) };
  }
}

async function* completionChunks(id: string, model: string, steps: AsyncIterable<Step>, promptTokens: number): AsyncGenerator<CompletionChunk> {
  const base = { id, object: 'text_completion' as const, created: 1_700_000_000, model };
  let generated = 0;
  for await (const step of steps) {
    if (step.text !== undefined) {
      generated++;
      yield { ...base, choices: [{ index: 0, text: step.text, finish_reason: null, logprobs: null }] };
    }
    if (step.finish) {
      yield {
        ...base,
        choices: [{ index: 0, text: '', finish_reason: step.finish, logprobs: null }],
        usage: usageFor(promptTokens, generated),
      };
    }
  }
}

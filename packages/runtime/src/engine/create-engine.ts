import { createBackend, ResourceLimitError, type Backend } from '@cria/kernels';
import { ChatTemplateError, SpecialTokenInTextError, type Tokenizer } from '@cria/tokenizer';
import { generate, type GenerationEvent } from '../generation/generate.js';
import { modelStopTokens } from '../generation/stop-tokens.js';
import { loadModel } from '../loading/load-model.js';
import { freeWeights } from '../loading/upload-weights.js';
import { defaultKvCacheType, kvCacheBytes, type KvCache, type KvCacheType } from '../model/kv-cache.js';
import type { LlamaModel } from '../model/llama-model.js';
import type { ModelConfig } from '../model/model-config.js';
import { Sampler } from '../sampling/sampler.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionChunk,
  CompletionRequest,
  Engine,
  EngineOptions,
  ModelInfo,
} from './api-types.js';
import { ContextLengthExceededError, EngineUnavailableError, InvalidRequestError } from './engine-errors.js';
import { validateMessages, validatePrompt, validateSampling, type GenerationSettings } from './request-validation.js';
import { chatChunks, chatCompletion, completion, completionChunks, responseContext } from './responses.js';
import { SerialQueue } from './serial-queue.js';

/** The KV cache size when EngineOptions.contextLength is not given (or the model's own limit, if smaller). */
export const DEFAULT_CONTEXT_LENGTH = 4096;

/**
 * Loads a model and returns an OpenAI-shaped engine. `backend: 'auto'` picks WebGPU on a hardware
 * adapter, else wasm; `engine.model.backend` says which and `engine.model.backendReason` why.
 *
 * ```ts
 * const engine = await createEngine({ model: 'path/to/model-dir-or.gguf' });
 * const reply = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 32 });
 * ```
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (options.contextLength !== undefined && (!Number.isInteger(options.contextLength) || options.contextLength < 1)) {
    throw new InvalidRequestError(`contextLength must be a positive integer, got ${options.contextLength}`, 'contextLength');
  }
  if (options.kvCacheType !== undefined && options.kvCacheType !== 'f16' && options.kvCacheType !== 'f32') {
    throw new InvalidRequestError(`kvCacheType must be 'f16' or 'f32', got ${JSON.stringify(options.kvCacheType)}`, 'kvCacheType');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidRequestError(`onProgress must be a function, got ${JSON.stringify(options.onProgress)}`, 'onProgress');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidRequestError(`signal must be an AbortSignal, got ${JSON.stringify(options.signal)}`, 'signal');
  }
  const choice = options.backend ?? 'auto';
  let fallback: string | undefined;
  const backend = await createBackend({ backend: choice, onFallback: (reason) => (fallback = reason) });
  // 'auto' reports a fallback whenever it did not keep WebGPU.
  const backendReason = choice !== 'auto' ? 'requested' : (fallback ?? 'hardware WebGPU adapter');
  try {
    // Refused before any weight is read: a multi-gigabyte upload should not end in this error.
    const checkConfig = ({ slidingWindow }: ModelConfig) => {
      if (slidingWindow !== undefined && options.contextLength !== undefined && options.contextLength > slidingWindow) {
        throw new InvalidRequestError(
          `contextLength ${options.contextLength} is longer than the model's sliding attention window (${slidingWindow} tokens); Cria attends over the whole context, which matches the model only within the window: use contextLength ≤ ${slidingWindow}`,
          'contextLength',
        );
      }
    };
    const loaded = await loadModel(options.model, backend, { onProgress: options.onProgress, signal: options.signal, checkConfig });
    const { maxPositionEmbeddings, slidingWindow } = loaded.model.config;
    const contextLength = options.contextLength ?? Math.min(maxPositionEmbeddings, DEFAULT_CONTEXT_LENGTH, slidingWindow ?? Infinity);
    const cache = allocateCache(loaded.model, contextLength, options.kvCacheType ?? defaultKvCacheType(backend.info.name));
    return new CriaEngine(backend, loaded.model, cache, loaded.tokenizer, loaded.id, backendReason);
  } catch (error) {
    backend.dispose();
    throw error;
  }
}

/** The engine's KV cache; a backend that cannot hold it is an InvalidRequestError that says how big it was and what to change. */
function allocateCache(model: LlamaModel, contextLength: number, type: KvCacheType): KvCache {
  try {
    return model.createCache(contextLength, type);
  } catch (error) {
    if (!(error instanceof ResourceLimitError || error instanceof RangeError)) throw error;
    const mebibytes = Math.ceil(kvCacheBytes(model.config, contextLength, type) / 2 ** 20);
    throw new InvalidRequestError(
      `a KV cache of ${contextLength} positions (${type}) takes ${mebibytes} MiB, which ${model.backend.info.description} could not allocate (${error.message.split('\n')[0]}): ` +
        `use a smaller contextLength${type === 'f32' ? " or kvCacheType 'f16' (half the memory)" : ''}`,
      'contextLength',
      'kv_cache_too_large',
    );
  }
}

class CriaEngine implements Engine {
  readonly model: ModelInfo;
  readonly chat: Engine['chat'];
  readonly completions: Engine['completions'];
  /** One sequence: requests take turns on it (and its KV cache). */
  readonly #queue = new SerialQueue();
  readonly #cache: KvCache;
  readonly contextLength: number;
  readonly #stopTokens: Set<number>;
  /** Aborted by dispose(), so a running generation ends at its next token. */
  readonly #disposal = new AbortController();
  #disposed = false;

  constructor(
    private readonly backend: Backend,
    private readonly llama: LlamaModel,
    cache: KvCache,
    private readonly tokenizer: Tokenizer,
    id: string,
    backendReason: string,
  ) {
    const config = llama.config;
    this.contextLength = cache.capacity;
    this.model = {
      id,
      architecture: config.architecture,
      parameters: llama.weights.parameterCount,
      contextLength: cache.capacity,
      kvCacheType: cache.type,
      kvCacheBytes: cache.bytes,
      vocabSize: config.vocabSize,
      backend: backend.info.description,
      backendReason,
    };
    this.#cache = cache;
    this.#stopTokens = modelStopTokens(tokenizer, config.eosTokenIds);
    this.chat = { completions: { create: ((request: ChatCompletionRequest) => this.#chat(request)) as Engine['chat']['completions']['create'] } };
    this.completions = { create: ((request: CompletionRequest) => this.#complete(request)) as Engine['completions']['create'] };
  }

  async #chat(request: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    this.#assertLive();
    const messages = validateMessages(request?.messages);
    const settings = validateSampling(request, this.llama.config.vocabSize);
    let prompt: string;
    try {
      prompt = this.tokenizer.applyChatTemplate(
        messages.map(({ role, content }) => ({ role, content })),
        { addGenerationPrompt: true },
      );
    } catch (error) {
      if (error instanceof SpecialTokenInTextError) throw new InvalidRequestError(`a message spells a special token: ${error.message}`, 'messages');
      if (error instanceof ChatTemplateError) throw new InvalidRequestError(`${error.message}. Use completions.create with your own prompt format instead.`, 'messages', 'no_chat_template');
      throw error;
    }
    // The template spells the control tokens; user contents that spell them were refused above.
    const ids = this.tokenizer.encode(prompt, { allowedSpecial: 'all', addSpecialTokens: false });
    const context = responseContext('chatcmpl', this.model.id, settings.sampler.logprobs);
    const events = this.#events(ids, settings, request.signal);
    return settings.stream ? chatChunks(context, events) : chatCompletion(context, events);
  }

  async #complete(request: CompletionRequest): Promise<Completion | AsyncIterable<CompletionChunk>> {
    this.#assertLive();
    const prompt = validatePrompt(request?.prompt);
    const settings = validateSampling(request, this.llama.config.vocabSize);
    const ids = this.tokenizer.encode(prompt);
    if (ids.length === 0) throw new InvalidRequestError("'prompt' encodes to no tokens; give some text", 'prompt');
    const context = responseContext('cmpl', this.model.id, settings.sampler.logprobs);
    const events = this.#events(ids, settings, request.signal);
    return settings.stream ? completionChunks(context, events) : completion(context, events);
  }

  /** Checks the context budget now (so create() rejects), and runs generation when iterated, in turn. */
  #events(ids: number[], settings: GenerationSettings, signal: AbortSignal | undefined): AsyncIterable<GenerationEvent> {
    const requested = settings.maxTokens ?? 1;
    if (ids.length + requested > this.contextLength) throw new ContextLengthExceededError(ids.length, requested, this.contextLength);
    const maxTokens = settings.maxTokens ?? this.contextLength - ids.length;
    const stopTokenIds = new Set([...this.#stopTokens, ...settings.stopTokenIds]);
    signal = signal ? AbortSignal.any([signal, this.#disposal.signal]) : this.#disposal.signal;
    const run = () =>
      generate(this.llama, this.#cache, this.tokenizer, { promptIds: ids, sampler: new Sampler(settings.sampler), maxTokens, stopStrings: settings.stopStrings, stopTokenIds, signal });
    return this.#queue.stream(run, () => this.#assertLive());
  }

  async logits(ids: readonly number[]): Promise<Float32Array> {
    this.#assertLive();
    if (!Array.isArray(ids) || ids.length === 0) throw new InvalidRequestError('logits(ids) needs a non-empty array of token ids', 'ids');
    const vocab = this.llama.config.vocabSize;
    ids.forEach((id, index) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new InvalidRequestError(`ids[${index}] = ${id} is not a token id in [0, ${vocab})`, 'ids');
    });
    if (ids.length > this.contextLength) throw new ContextLengthExceededError(ids.length, 0, this.contextLength);
    // A cache of its own, so the chat sequence's cache (and its prefix reuse) is untouched.
    return this.#queue.run(async () => {
      this.#assertLive();
      const cache = this.llama.createCache(ids.length, this.#cache.type);
      try {
        return await this.llama.forward(ids, cache, true);
      } finally {
        cache.dispose();
      }
    });
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  detokenize(ids: readonly number[]): string {
    return this.tokenizer.decode(ids);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#disposal.abort();
    // Let a running request finish its current step before the tensors go away.
    await this.#queue.run(async () => undefined);
    this.#cache.dispose();
    freeWeights(this.backend, this.llama.weights);
    this.backend.dispose();
  }

  #assertLive(): void {
    if (this.#disposed) throw new EngineUnavailableError('The engine was disposed; create a new one with createEngine()');
  }
}

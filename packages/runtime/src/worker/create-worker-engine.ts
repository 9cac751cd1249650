import { loadTokenizer, tokenizerFromGguf, type Tokenizer } from '@cria/tokenizer';
import type { ChatCompletionRequest, CompletionRequest, Engine, EngineOptions, ModelInfo } from '../engine/api-types.js';
import { EngineUnavailableError } from '../engine/engine-errors.js';
import { namedBlobs, type BrowserModelSource } from '../loading/browser/browser-model-location.js';
import { reviveError } from './error-transfer.js';
import { ChunkQueue } from './chunk-queue.js';
import type { MessageEndpoint, PageMessage, TokenizerSource, WorkerCall, WorkerMessage } from './worker-protocol.js';

export interface WorkerEngineOptions extends Omit<EngineOptions, 'model'> {
  /** A URL or path the worker can open, or a BrowserModelSource (`{ url, sha256 }` cached download, or `{ files }`). */
  model: string | BrowserModelSource;
}

/** An Engine whose model runs in a worker; `worker` is the endpoint it talks to. */
export interface WorkerEngine extends Engine {
  readonly worker: MessageEndpoint;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  stream?: ChunkQueue<unknown>;
}

/**
 * The engine in a Web Worker, behind the same Engine interface: generation never blocks the page.
 * `worker` is a module worker whose script calls `serveEngine()` (a Worker, or its URL: the engine
 * then owns the worker and terminates it on dispose), or any MessageEndpoint talking to one.
 *
 * ```ts
 * const engine = await createWorkerEngine(new URL('./engine-worker.js', import.meta.url), { model: { url: 'https://…/model.gguf' } });
 * ```
 */
export async function createWorkerEngine(worker: MessageEndpoint | URL | string, options: WorkerEngineOptions): Promise<WorkerEngine> {
  const owned = typeof worker === 'string' || worker instanceof URL;
  const endpoint: MessageEndpoint = owned ? new Worker(worker, { type: 'module', name: 'cria-engine' }) : worker;
  const pending = new Map<number, Pending>();
  let ready: ((message: WorkerMessage & { type: 'ready' }) => void) | undefined;
  let failed: ((error: Error) => void) | undefined;

  const listener = (event: MessageEvent) => {
    const message = event.data as WorkerMessage;
    if (message.type === 'progress') return options.onProgress?.(message.progress);
    if (message.type === 'ready') return ready?.(message);
    if (message.type === 'load-error') return failed?.(reviveError(message.error));
    const entry = pending.get(message.id);
    if (!entry) return;
    if (message.type === 'result') {
      pending.delete(message.id);
      entry.resolve(message.value);
    } else if (message.type === 'error') {
      pending.delete(message.id);
      const error = reviveError(message.error);
      if (entry.stream) entry.stream.fail(error);
      else entry.reject(error);
    } else if (message.type === 'stream-start') {
      entry.stream = new ChunkQueue(() => send({ type: 'cancel', id: message.id }));
      entry.resolve(entry.stream);
    } else if (message.type === 'chunk') {
      entry.stream?.push(message.chunk);
    } else if (message.type === 'stream-end') {
      pending.delete(message.id);
      entry.stream?.end();
    }
  };
  const send = (message: PageMessage) => endpoint.postMessage(message);
  endpoint.addEventListener('message', listener);
  (endpoint as { start?: () => void }).start?.();

  const onAbort = () => send({ type: 'abort-load' });
  try {
    const loaded = await new Promise<WorkerMessage & { type: 'ready' }>((resolve, reject) => {
      ready = resolve;
      failed = reject;
      // A worker script that does not load (404, a syntax error) says so only through 'error'.
      if (owned) (endpoint as Worker).addEventListener('error', (event) => reject(new EngineUnavailableError(`the engine worker failed to start: ${event.message || 'check the worker URL and that it is served as JavaScript'}`)));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
      const model = typeof options.model === 'object' && 'files' in options.model ? { files: namedBlobs(options.model.files) } : options.model;
      send({ type: 'create', options: { model, backend: options.backend, contextLength: options.contextLength, kvCacheType: options.kvCacheType } });
    });
    return new RemoteEngine(endpoint, loaded.model, loaded.tokenizer, pending, send, () => {
      endpoint.removeEventListener('message', listener);
      if (owned) (endpoint as Worker).terminate();
    });
  } catch (error) {
    endpoint.removeEventListener('message', listener);
    if (owned) (endpoint as Worker).terminate();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

class RemoteEngine implements WorkerEngine {
  readonly chat: Engine['chat'];
  readonly completions: Engine['completions'];
  #nextId = 1;
  #tokenizer: Tokenizer | undefined;
  #disposed = false;

  constructor(
    readonly worker: MessageEndpoint,
    readonly model: ModelInfo,
    private readonly tokenizerSource: TokenizerSource,
    private readonly pending: Map<number, Pending>,
    private readonly send: (message: PageMessage) => void,
    private readonly detach: () => void,
  ) {
    const request = (method: 'chat' | 'completion') => (input: ChatCompletionRequest | CompletionRequest) => {
      const { signal, ...rest } = input ?? ({} as ChatCompletionRequest);
      return this.#call({ method, request: rest } as WorkerCall, signal);
    };
    this.chat = { completions: { create: request('chat') as Engine['chat']['completions']['create'] } };
    this.completions = { create: request('completion') as Engine['completions']['create'] };
  }

  #call(call: WorkerCall, signal?: AbortSignal): Promise<unknown> {
    if (this.#disposed) return Promise.reject(new EngineUnavailableError('The engine was disposed; create a new one with createWorkerEngine()'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (signal) {
        const cancel = () => this.send({ type: 'cancel', id });
        if (signal.aborted) queueMicrotask(cancel);
        else signal.addEventListener('abort', cancel, { once: true });
      }
      this.send({ type: 'call', id, call });
    });
  }

  logits(ids: readonly number[]): Promise<Float32Array> {
    return this.#call({ method: 'logits', ids: Array.isArray(ids) ? [...ids] : (ids as number[]) }) as Promise<Float32Array>;
  }

  /** Built on first use from the tokenizer files the worker sent, so tokenize stays synchronous. */
  get #tokenizerInstance(): Tokenizer {
    if (!this.#tokenizer) {
      const source = this.tokenizerSource;
      this.#tokenizer = source.kind === 'json' ? loadTokenizer(source.tokenizerJson, source.tokenizerConfigJson) : tokenizerFromGguf(source.metadata);
    }
    return this.#tokenizer;
  }

  tokenize(text: string): number[] {
    return this.#tokenizerInstance.encode(text);
  }

  detokenize(ids: readonly number[]): string {
    return this.#tokenizerInstance.decode(ids);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    try {
      await this.#call({ method: 'dispose' });
    } finally {
      this.#disposed = true;
      const error = new EngineUnavailableError('The engine was disposed; create a new one with createWorkerEngine()');
      for (const entry of this.pending.values()) entry.stream ? entry.stream.fail(error) : entry.reject(error);
      this.pending.clear();
      this.detach();
    }
  }
}

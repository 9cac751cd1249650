import { createEngine } from '../engine/create-engine.js';
import type { Engine, LoadProgress } from '../engine/api-types.js';
import { EngineUnavailableError } from '../engine/engine-errors.js';
import { GgufFile } from '../formats/gguf/gguf-file.js';
import type { ByteSource } from '../formats/sources/byte-source.js';
import { browserModelLocation, isBrowserModelSource } from '../loading/browser/browser-model-location.js';
import { resolveModelLocation, type ModelLocation } from '../loading/model-location.js';
import { transferError } from './error-transfer.js';
import type { MessageEndpoint, PageMessage, TokenizerSource, WorkerCall, WorkerCreateOptions, WorkerMessage } from './worker-protocol.js';

/**
 * The worker half of createWorkerEngine: runs the real engine (createEngine) and answers the page's
 * messages. A worker module needs only:
 *
 * ```ts
 * // engine-worker.ts, bundled as a module worker
 * import { serveEngine } from '@cria/runtime';
 * serveEngine();
 * ```
 */
export function serveEngine(endpoint: MessageEndpoint = globalThis as unknown as MessageEndpoint): void {
  let engine: Engine | undefined;
  const loading = new AbortController();
  const cancels = new Map<number, AbortController>();
  const post = (message: WorkerMessage, transfer: Transferable[] = []) => endpoint.postMessage(message, transfer);

  async function create(options: WorkerCreateOptions): Promise<void> {
    if (engine) return post({ type: 'load-error', error: transferError(new EngineUnavailableError('this worker already runs an engine; start a new worker for another model')) });
    try {
      const onProgress = (progress: LoadProgress) => post({ type: 'progress', progress });
      const model = isBrowserModelSource(options.model) ? browserModelLocation(options.model, { onProgress, signal: loading.signal }) : options.model;
      const location = rememberingLocation(await resolveModelLocation(model));
      engine = await createEngine({ model: location, backend: options.backend, contextLength: options.contextLength, kvCacheType: options.kvCacheType, onProgress, signal: loading.signal });
      post({ type: 'ready', model: engine.model, tokenizer: await tokenizerSource(location) });
    } catch (error) {
      await engine?.dispose();
      engine = undefined;
      post({ type: 'load-error', error: transferError(error) });
    }
  }

  async function call(id: number, call: WorkerCall): Promise<void> {
    const controller = new AbortController();
    cancels.set(id, controller);
    try {
      if (!engine) throw new EngineUnavailableError('the worker has no engine (it failed to load or was disposed); create a new one with createWorkerEngine()');
      if (call.method === 'logits') {
        const logits = await engine.logits(call.ids);
        return post({ type: 'result', id, value: logits }, [logits.buffer]);
      }
      if (call.method === 'dispose') {
        await engine.dispose();
        return post({ type: 'result', id, value: undefined });
      }
      const request = { ...call.request, signal: controller.signal };
      const result: unknown =
        call.method === 'chat' ? await engine.chat.completions.create(request as never) : await engine.completions.create(request as never);
      if (!call.request.stream) return post({ type: 'result', id, value: result });
      post({ type: 'stream-start', id });
      for await (const chunk of result as AsyncIterable<unknown>) post({ type: 'chunk', id, chunk });
      post({ type: 'stream-end', id });
    } catch (error) {
      post({ type: 'error', id, error: transferError(error) });
    } finally {
      cancels.delete(id);
    }
  }

  endpoint.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as PageMessage;
    if (message.type === 'create') void create(message.options);
    else if (message.type === 'abort-load') loading.abort(new DOMException('model loading was aborted', 'AbortError'));
    else if (message.type === 'cancel') cancels.get(message.id)?.abort();
    else if (message.type === 'call') void call(message.id, message.call);
  });
  // A MessagePort (tests, SharedWorker) delivers nothing until started.
  (endpoint as { start?: () => void }).start?.();
}

/**
 * Keeps what the loader read (text files, sources without a handle to close), so that sending the
 * tokenizer to the page afterwards costs no second download.
 */
function rememberingLocation(location: ModelLocation): ModelLocation {
  const sources = new Map<string, Promise<ByteSource>>();
  const remember = (file: string, open: () => Promise<ByteSource>) => {
    const existing = sources.get(file);
    if (existing) return existing;
    const opened = open();
    sources.set(file, opened);
    opened.then(
      (source) => source.close && sources.delete(file), // a file handle closes after loading: reopen then
      () => sources.delete(file),
    );
    return opened;
  };
  if (location.kind === 'gguf') return { ...location, open: () => remember('', location.open) };
  const texts = new Map<string, Promise<string | undefined>>();
  return {
    ...location,
    readText(file) {
      if (!texts.has(file)) texts.set(file, location.readText(file));
      return texts.get(file)!;
    },
    open: (file) => remember(file, () => location.open(file)),
  };
}

async function tokenizerSource(location: ModelLocation): Promise<TokenizerSource> {
  if (location.kind === 'directory') {
    const tokenizerJson = (await location.readText('tokenizer.json'))!;
    return { kind: 'json', tokenizerJson, tokenizerConfigJson: await location.readText('tokenizer_config.json') };
  }
  const file = await GgufFile.open(await location.open());
  try {
    const metadata = file.metadataRecord();
    return { kind: 'gguf', metadata: Object.fromEntries(Object.entries(metadata).filter(([key]) => key.startsWith('tokenizer.'))) };
  } finally {
    await file.close();
  }
}

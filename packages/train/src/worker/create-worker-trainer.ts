import type { MessageEndpoint } from '@cria/runtime';
import { reviveError } from './error-transfer.js';
import type { FineTuneEvent, FineTuneJob, FineTuneResult } from './fine-tune-job.js';
import { TrainerUnavailableError } from './trainer-errors.js';
import type { TrainerPageMessage, TrainerWorkerMessage } from './worker-protocol.js';

export interface FineTuneCallOptions {
  /** Every event of the run, in order (loading, started, step, eval, exporting). */
  onEvent?: (event: FineTuneEvent) => void;
  /** Cancels the run: `result` rejects with an AbortError and nothing is exported. */
  signal?: AbortSignal;
}

/** One fine-tune in the worker. */
export interface TrainingRun {
  /** The exported model (and adapter) once the run ends, or its error. */
  readonly result: Promise<FineTuneResult>;
  /** Ends the run after the current step; `result` then holds the weights trained so far. */
  stop(): void;
}

/** `runFineTune` in a Web Worker: training never blocks the page. */
export interface WorkerTrainer {
  readonly worker: MessageEndpoint;
  fineTune(job: FineTuneJob, options?: FineTuneCallOptions): TrainingRun;
  /** Cancels a run in progress and, when the trainer created the worker, terminates it. */
  dispose(): void;
}

/**
 * The page side of the training worker. `worker` is a module worker whose script calls
 * `serveTrainer()` (a Worker, or its URL: the trainer then owns it and terminates it on dispose),
 * or any MessageEndpoint talking to one.
 *
 * ```ts
 * const trainer = createWorkerTrainer(new URL('./train-worker.js', import.meta.url));
 * const run = trainer.fineTune({ model: { url: 'https://…/model/' }, dataset: jsonl, lora: { rank: 8 } }, {
 *   onEvent: (event) => event.type === 'step' && console.log(event.step, event.loss),
 * });
 * const { model, adapter } = await run.result; // Blobs: a Hugging Face folder, a PEFT adapter
 * ```
 */
export function createWorkerTrainer(worker: MessageEndpoint | URL | string): WorkerTrainer {
  const owned = typeof worker === 'string' || worker instanceof URL;
  const endpoint: MessageEndpoint = owned ? new Worker(worker, { type: 'module', name: 'cria-trainer' }) : worker;
  const runs = new Map<number, { resolve(result: FineTuneResult): void; reject(error: Error): void; onEvent?: (event: FineTuneEvent) => void }>();
  let nextId = 1;
  let disposed = false;
  const send = (message: TrainerPageMessage) => endpoint.postMessage(message);
  const failAll = (error: Error) => {
    for (const run of runs.values()) run.reject(error);
    runs.clear();
  };
  const listener = (event: MessageEvent) => {
    const message = event.data as TrainerWorkerMessage;
    const run = runs.get(message.id);
    if (!run) return;
    if (message.type === 'event') return run.onEvent?.(message.event);
    runs.delete(message.id);
    if (message.type === 'result') run.resolve(message.result);
    else run.reject(reviveError(message.error));
  };
  endpoint.addEventListener('message', listener);
  (endpoint as { start?: () => void }).start?.();
  // A worker script that does not load (404, a syntax error) says so only through 'error'.
  if (owned) {
    (endpoint as Worker).addEventListener('error', (event) => failAll(new TrainerUnavailableError(`${event.message || 'its script failed to load'}; check the worker URL and that it is served as JavaScript`)));
  }

  return {
    worker: endpoint,
    fineTune(job, options = {}) {
      const id = nextId++;
      const result = new Promise<FineTuneResult>((resolve, reject) => {
        if (disposed) return reject(new TrainerUnavailableError('the trainer was disposed; create a new one with createWorkerTrainer()'));
        runs.set(id, { resolve, reject, onEvent: options.onEvent });
        const cancel = () => send({ type: 'cancel', id });
        if (options.signal?.aborted) queueMicrotask(cancel);
        else options.signal?.addEventListener('abort', cancel, { once: true });
        send({ type: 'fine-tune', id, job });
      });
      return { result, stop: () => send({ type: 'stop', id }) };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const id of runs.keys()) send({ type: 'cancel', id });
      failAll(new TrainerUnavailableError('the trainer was disposed'));
      endpoint.removeEventListener('message', listener);
      if (owned) (endpoint as Worker).terminate();
    },
  };
}

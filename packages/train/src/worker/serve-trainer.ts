import type { MessageEndpoint } from '@cria/runtime';
import { transferError } from './error-transfer.js';
import { runFineTune } from './run-fine-tune.js';
import { TrainerBusyError } from './trainer-errors.js';
import type { TrainerPageMessage, TrainerWorkerMessage } from './worker-protocol.js';

/**
 * The worker half of createWorkerTrainer: runs `runFineTune` for the page, one run at a time, and
 * streams its events. A worker module needs only:
 *
 * ```ts
 * // train-worker.ts, bundled as a module worker
 * import { serveTrainer } from '@cria/train';
 * serveTrainer();
 * ```
 */
export function serveTrainer(endpoint: MessageEndpoint = globalThis as unknown as MessageEndpoint): void {
  let running: { id: number; stop: AbortController; cancel: AbortController } | undefined;
  const post = (message: TrainerWorkerMessage) => endpoint.postMessage(message);

  async function fineTune(message: Extract<TrainerPageMessage, { type: 'fine-tune' }>): Promise<void> {
    const { id, job } = message;
    if (running) return post({ type: 'error', id, error: transferError(new TrainerBusyError(running.id)) });
    running = { id, stop: new AbortController(), cancel: new AbortController() };
    try {
      const result = await runFineTune(job, {
        onEvent: (event) => post({ type: 'event', id, event }),
        stop: running.stop.signal,
        signal: running.cancel.signal,
      });
      post({ type: 'result', id, result });
    } catch (error) {
      post({ type: 'error', id, error: transferError(error) });
    } finally {
      running = undefined;
    }
  }

  endpoint.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as TrainerPageMessage;
    if (message.type === 'fine-tune') void fineTune(message);
    else if (message.type === 'stop' && running?.id === message.id) running.stop.abort();
    else if (message.type === 'cancel' && running?.id === message.id) running.cancel.abort(new DOMException('the fine-tune was cancelled', 'AbortError'));
  });
  // A MessagePort (tests, SharedWorker) delivers nothing until started.
  (endpoint as { start?: () => void }).start?.();
}

import type { TransferredError } from './error-transfer.js';
import type { FineTuneEvent, FineTuneJob, FineTuneResult } from './fine-tune-job.js';

/**
 * The messages between createWorkerTrainer (the page) and serveTrainer (the worker). A run has an
 * id; the page may start another run on the same worker after one ends (one at a time).
 * 'stop' ends the run after the current step and still exports; 'cancel' discards it.
 */
export type TrainerPageMessage =
  | { type: 'fine-tune'; id: number; job: FineTuneJob }
  | { type: 'stop'; id: number }
  | { type: 'cancel'; id: number };

export type TrainerWorkerMessage =
  | { type: 'event'; id: number; event: FineTuneEvent }
  | { type: 'result'; id: number; result: FineTuneResult }
  | { type: 'error'; id: number; error: TransferredError };

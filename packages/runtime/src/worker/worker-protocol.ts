import type { BackendChoice } from '@cria/kernels';
import type { ChatCompletionRequest, CompletionRequest, LoadProgress, ModelInfo } from '../engine/api-types.js';
import type { BrowserModelSource } from '../loading/browser/browser-model-location.js';
import type { KvCacheType } from '../model/kv-cache.js';
import type { TransferredError } from './error-transfer.js';

/**
 * The messages between createWorkerEngine (the page) and serveEngine (the worker). Everything is
 * structured-cloneable: functions (onProgress) and AbortSignals stay on the page and travel as
 * messages ('progress', 'cancel', 'abort-load').
 */

/** EngineOptions without what cannot be posted; `model` may also be a BrowserModelSource. */
export interface WorkerCreateOptions {
  model: string | BrowserModelSource;
  backend?: BackendChoice;
  contextLength?: number;
  kvCacheType?: KvCacheType;
}

/** Requests without their signal (it becomes a 'cancel' message). */
export type WorkerCall =
  | { method: 'chat'; request: Omit<ChatCompletionRequest, 'signal'> }
  | { method: 'completion'; request: Omit<CompletionRequest, 'signal'> }
  | { method: 'logits'; ids: number[] }
  | { method: 'dispose' };

export type PageMessage =
  | { type: 'create'; options: WorkerCreateOptions }
  | { type: 'abort-load' }
  | { type: 'call'; id: number; call: WorkerCall }
  | { type: 'cancel'; id: number };

/** What the page needs to tokenize synchronously: the tokenizer's own inputs, rebuilt on the page. */
export type TokenizerSource =
  | { kind: 'json'; tokenizerJson: string; tokenizerConfigJson?: string }
  | { kind: 'gguf'; metadata: Record<string, unknown> };

export type WorkerMessage =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'ready'; model: ModelInfo; tokenizer: TokenizerSource }
  | { type: 'load-error'; error: TransferredError }
  /** A non-streaming result (a completion, logits, or undefined for dispose). */
  | { type: 'result'; id: number; value: unknown }
  /** create() with stream: true succeeded; chunks follow. */
  | { type: 'stream-start'; id: number }
  | { type: 'chunk'; id: number; chunk: unknown }
  | { type: 'stream-end'; id: number }
  | { type: 'error'; id: number; error: TransferredError };

/**
 * A message port: a Web Worker (page side), the worker's global scope (worker side), or a
 * MessagePort (tests, or a SharedWorker's port).
 */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

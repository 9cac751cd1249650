import * as kernelErrors from '@cria/kernels';
import * as tokenizerErrors from '@cria/tokenizer';
import * as engineErrors from '../engine/engine-errors.js';
import * as formatErrors from '../formats/errors.js';
import { DownloadError, IntegrityError } from '../loading/browser/download-errors.js';
import { ModelConfigError } from '../model/model-config.js';

/**
 * Errors cross the worker boundary as plain data and are rebuilt as the same class on the other
 * side, so `error instanceof ContextLengthExceededError` (and its `status`, `code`, `param`, …) work
 * the same with createWorkerEngine as with createEngine. Structured clone alone would keep only
 * `name` and `message`.
 */
export interface TransferredError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own fields (status, code, file, expected, …), those that clone. */
  fields: Record<string, unknown>;
}

type ErrorClass = abstract new (...args: never[]) => Error;

const isErrorClass = (value: unknown): value is ErrorClass => typeof value === 'function' && value.prototype instanceof Error;

/** Every typed error the engine can raise, by class name. */
const ERROR_CLASSES: Map<string, ErrorClass> = (() => {
  const classes = new Map<string, ErrorClass>();
  for (const module of [engineErrors, formatErrors, tokenizerErrors, kernelErrors] as Array<Record<string, unknown>>) {
    for (const [name, value] of Object.entries(module)) if (isErrorClass(value)) classes.set(name, value);
  }
  for (const value of [DownloadError, IntegrityError, ModelConfigError]) classes.set(value.name, value);
  return classes;
})();

function cloneable(value: unknown): boolean {
  const type = typeof value;
  if (value === null || type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined') return true;
  if (Array.isArray(value)) return value.every(cloneable);
  return false;
}

export function transferError(error: unknown): TransferredError {
  if (!(error instanceof Error) && !(typeof DOMException !== 'undefined' && error instanceof DOMException)) {
    return { name: 'Error', message: String(error), fields: {} };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) if (key !== 'name' && key !== 'message' && cloneable(value)) fields[key] = value;
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

/** Rebuilds the error: the same class when it is one of Cria's (without re-running its constructor). */
export function reviveError(transferred: TransferredError): Error {
  if (transferred.name === 'AbortError' || transferred.name === 'TimeoutError') return new DOMException(transferred.message, transferred.name);
  const errorClass = ERROR_CLASSES.get(transferred.name);
  const error: Error = errorClass ? Object.create(errorClass.prototype) : new Error(transferred.message);
  Object.defineProperty(error, 'message', { value: transferred.message, writable: true, configurable: true });
  Object.defineProperty(error, 'name', { value: transferred.name, writable: true, configurable: true });
  // The worker's stack, which is where the error happened.
  if (transferred.stack) Object.defineProperty(error, 'stack', { value: transferred.stack, writable: true, configurable: true });
  Object.assign(error, transferred.fields);
  return error;
}

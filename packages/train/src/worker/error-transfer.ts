import * as kernels from '@cria/kernels';
import * as runtime from '@cria/runtime';
import * as tokenizer from '@cria/tokenizer';
import * as trainErrors from '../errors.js';
import * as workerErrors from './trainer-errors.js';
import { CheckpointError } from '../checkpoint/checkpoint.js';
import { NothingToLearnError } from '../data/packing-stats.js';

/**
 * Errors cross the worker boundary as plain data and are rebuilt as the same class on the page, so
 * `error instanceof TrainingInputError` (with its subject, expected, got) works through
 * createWorkerTrainer as with runFineTune. Structured clone alone keeps only name and message.
 * (The same scheme as @cria/runtime's worker, over the training errors too.)
 */
export interface TransferredError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own cloneable fields (subject, expected, got, status …). */
  fields: Record<string, unknown>;
}

type ErrorClass = abstract new (...args: never[]) => Error;
const isErrorClass = (value: unknown): value is ErrorClass => typeof value === 'function' && value.prototype instanceof Error;

const ERROR_CLASSES: Map<string, ErrorClass> = (() => {
  const classes = new Map<string, ErrorClass>();
  for (const module of [kernels, tokenizer, runtime, trainErrors, workerErrors, { CheckpointError, NothingToLearnError }] as Array<Record<string, unknown>>) {
    for (const [name, value] of Object.entries(module)) if (isErrorClass(value)) classes.set(name, value);
  }
  return classes;
})();

function cloneable(value: unknown): boolean {
  const type = typeof value;
  if (value === null || type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined') return true;
  if (Array.isArray(value)) return value.every(cloneable);
  // Plain records of those (NothingToLearnError's packing stats).
  return type === 'object' && Object.getPrototypeOf(value) === Object.prototype && Object.values(value as object).every(cloneable);
}

export function transferError(error: unknown): TransferredError {
  if (!(error instanceof Error) && !(typeof DOMException !== 'undefined' && error instanceof DOMException)) {
    return { name: 'Error', message: String(error), fields: {} };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) if (key !== 'name' && key !== 'message' && cloneable(value)) fields[key] = value;
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

/** The same class when it is one of Cria's (its constructor is not re-run); an AbortError stays a DOMException. */
export function reviveError(transferred: TransferredError): Error {
  if (transferred.name === 'AbortError') return new DOMException(transferred.message, 'AbortError');
  const errorClass = ERROR_CLASSES.get(transferred.name);
  const error: Error = errorClass ? Object.create(errorClass.prototype) : new Error(transferred.message);
  for (const key of ['message', 'name', 'stack'] as const) {
    const value = transferred[key];
    if (value !== undefined) Object.defineProperty(error, key, { value, writable: true, configurable: true });
  }
  Object.assign(error, transferred.fields);
  return error;
}

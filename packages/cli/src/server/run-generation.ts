/**
 * Runs one validated request on the engine, holding the generation slot for exactly as long as the
 * engine works on it, and writes the answer: one JSON body, or server-sent events.
 *
 * Cancellation: `signal` fires when the client disconnects (or a forced shutdown); it is passed to
 * the engine, which ends the generation with finish_reason 'abort', and only then is the slot
 * released, because the KV cache is the engine's until it returns.
 */
import type { ServerResponse } from 'node:http';
import type { Usage } from '../engine-types.js';
import { GenerationQueue } from './generation-queue.js';
import { endEventStream, startEventStream, writeEvent } from './event-stream.js';
import { toErrorResponse } from './http-errors.js';
import type { RequestRecord } from './request-log.js';
import { sendJson } from './send-json.js';
import type { ValidatedRequest } from './validate-request.js';

/** The parts every OpenAI response object and chunk share. */
interface ResponseObject {
  usage?: Usage;
  choices: unknown[];
}

type Create<R> = (request: R & { stream: boolean; signal: AbortSignal }) => Promise<ResponseObject | AsyncIterable<ResponseObject>>;

export interface GenerationContext {
  queue: GenerationQueue;
  response: ServerResponse;
  signal: AbortSignal;
  /** Filled with token counts for the request log. */
  record: Partial<RequestRecord>;
}

export async function runGeneration<R extends object>(context: GenerationContext, validated: ValidatedRequest<R>, create: Create<R>): Promise<void> {
  const { queue, response, signal, record } = context;
  record.stream = validated.stream;
  const release = await queue.acquire(signal);
  try {
    const result = await create({ ...validated.request, stream: validated.stream, signal });
    if (validated.stream) await streamChunks(result as AsyncIterable<ResponseObject>, validated.includeUsage, context);
    else {
      noteUsage(record, (result as ResponseObject).usage);
      if (!response.destroyed) sendJson(response, 200, result);
    }
  } finally {
    release();
  }
}

async function streamChunks(chunks: AsyncIterable<ResponseObject>, includeUsage: boolean, { response, record }: GenerationContext): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  // Headers wait for the first chunk, so an error before any token (context too long, ...) still
  // gets its own status code instead of a 200 stream that carries an error.
  let next = await iterator.next();
  if (!response.destroyed) startEventStream(response);
  let usage: Usage | undefined;
  let template: ResponseObject | undefined;
  try {
    for (; !next.done; next = await iterator.next()) {
      const { usage: chunkUsage, ...chunk } = next.value;
      if (chunkUsage) usage = chunkUsage;
      template = chunk;
      if (!response.destroyed) writeEvent(response, chunk);
    }
  } catch (error) {
    // The status line is gone: report the error in-band, as OpenAI does, then close the stream.
    if (!response.destroyed) {
      writeEvent(response, toErrorResponse(error).body);
      response.end();
    }
    await iterator.return?.();
    throw error;
  }
  noteUsage(record, usage);
  if (response.destroyed) return;
  // OpenAI sends usage only when asked, in a last chunk with no choices.
  if (includeUsage && usage && template) writeEvent(response, { ...template, choices: [], usage });
  endEventStream(response);
}

function noteUsage(record: Partial<RequestRecord>, usage: Usage | undefined): void {
  if (!usage) return;
  record.promptTokens = usage.prompt_tokens;
  record.completionTokens = usage.completion_tokens;
}

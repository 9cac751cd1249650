/**
 * Reads a request body as a JSON object: checks the content type, enforces a size limit while the
 * bytes arrive (a client cannot make the server buffer more than the limit) and parses.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-errors.js';

/** 1 MiB: a long chat history is tens of kilobytes; anything near this is a mistake or an attack. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Wrong content type answers 415 Unsupported Media Type (OpenAI answers 400 for a body it cannot
 * read; 415 names the actual problem, and the message says which header to send).
 */
export function assertJsonContentType(request: IncomingMessage): void {
  const contentType = request.headers['content-type'];
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return;
  throw new HttpError(
    415,
    `Expected a JSON body with "Content-Type: application/json"; got ${contentType ? `"${contentType}"` : 'no Content-Type'}. ` +
      "With curl, add -H 'Content-Type: application/json'.",
    'invalid_request_error',
    'unsupported_media_type',
  );
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(
    413,
    `The request body is larger than the server's limit of ${limitBytes} bytes. Shorten the messages, or start the server with a larger --max-body.`,
    'invalid_request_error',
    'request_too_large',
  );
}

export async function readJsonBody(request: IncomingMessage, limitBytes = DEFAULT_BODY_LIMIT_BYTES): Promise<Record<string, unknown>> {
  assertJsonContentType(request);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);

  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.length;
    // Stop reading: the caller answers 413 and closes the connection, so the rest is never buffered.
    if (received > limitBytes) throw tooLarge(limitBytes);
    chunks.push(chunk);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(
      400,
      `The request body is not valid JSON (${(error as Error).message}).`,
      'invalid_request_error',
      'invalid_json',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'The request body must be a JSON object.', 'invalid_request_error', 'invalid_json');
  }
  return parsed as Record<string, unknown>;
}

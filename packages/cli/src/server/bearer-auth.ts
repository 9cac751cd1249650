/**
 * The optional `--api-key` check: `Authorization: Bearer <key>`, compared in constant time. Both
 * sides are hashed first so the comparison never depends on (or leaks) the key's length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-errors.js';

export type BearerCheck = (request: IncomingMessage) => void;

export function bearerCheck(apiKey: string): BearerCheck {
  const expected = digest(apiKey);
  return (request) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match && timingSafeEqual(digest(match[1]!), expected)) return;
    throw new HttpError(
      401,
      match
        ? 'Incorrect API key. Send the key the server was started with (--api-key) as "Authorization: Bearer <key>".'
        : 'Missing API key. This server was started with --api-key; send "Authorization: Bearer <key>".',
      'invalid_request_error',
      'invalid_api_key',
      null,
      { 'WWW-Authenticate': 'Bearer' },
    );
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Server-sent events as OpenAI streams them: one `data: <json>\n\n` event per chunk, then
 * `data: [DONE]\n\n`. Each event is written as soon as it exists (Nagle off, no compression, no
 * proxy buffering), so a client sees every token when it is sampled.
 */
import type { ServerResponse } from 'node:http';

export function startEventStream(response: ServerResponse): void {
  response.socket?.setNoDelay(true);
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx and similar proxies buffer responses unless told not to.
    'X-Accel-Buffering': 'no',
  });
  response.flushHeaders();
}

export function writeEvent(response: ServerResponse, data: unknown): void {
  response.write(`data: ${JSON.stringify(data)}\n\n`);
}

export function endEventStream(response: ServerResponse): void {
  response.end('data: [DONE]\n\n');
}

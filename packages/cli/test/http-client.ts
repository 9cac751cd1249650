/**
 * Test helpers: a server over the scripted engine on an ephemeral loopback port, and a proper
 * server-sent-events reader for `fetch` responses.
 */
import { request as httpRequest } from 'node:http';
import { CriaServer, type CriaServerOptions } from '../src/server/http-server.js';
import type { RequestRecord } from '../src/server/request-log.js';
import { ScriptedEngine, type ScriptedEngineOptions } from './scripted-engine.js';

export interface TestServer {
  server: CriaServer;
  engine: ScriptedEngine;
  url: string;
  port: number;
  logs: RequestRecord[];
  post(path: string, body: unknown, headers?: Record<string, string>, signal?: AbortSignal): Promise<Response>;
}

export async function startTestServer(engineOptions: ScriptedEngineOptions = {}, serverOptions: Partial<CriaServerOptions> = {}): Promise<TestServer> {
  const engine = new ScriptedEngine(engineOptions);
  const logs: RequestRecord[] = [];
  const server = new CriaServer({ engine, log: (record) => logs.push(record), ...serverOptions });
  const { port } = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
  return { server, engine, url, port, logs, post };
}

/** Parses `data: ...\n\n` events until the stream ends; returns the JSON payloads and whether [DONE] came last. */
export async function readEventStream(response: Response, onEvent?: (event: unknown) => void): Promise<{ events: any[]; done: boolean }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: any[] = [];
  let buffer = '';
  let done = false;
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += value;
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      if (done) throw new Error(`event after [DONE]: ${data}`);
      const event = JSON.parse(data);
      events.push(event);
      onEvent?.(event);
    }
  }
  if (buffer.trim() !== '') throw new Error(`unterminated event: ${buffer}`);
  return { events, done };
}

/** A raw request whose body arrives in chunks without Content-Length (fetch cannot send one by design). */
export function postChunked(port: number, path: string, chunks: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

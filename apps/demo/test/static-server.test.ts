import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange, resolveInside, startStaticServer, type StaticServer } from '../scripts/static-server.mjs';

/** A raw GET: the path goes on the wire untouched (fetch would normalise `..` away). */
function get(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path, method, headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    call.on('error', reject);
    call.end();
  });
}

describe('static server', () => {
  const parent = mkdtempSync(join(tmpdir(), 'cria-demo-server-'));
  const root = join(parent, 'site');
  let server: StaticServer;

  beforeAll(async () => {
    mkdirSync(join(root, 'nested'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html>hello');
    writeFileSync(join(root, 'main.js'), 'export {};');
    writeFileSync(join(root, 'kernels.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    writeFileSync(join(root, 'nested', 'index.html'), 'nested');
    writeFileSync(join(parent, 'secret.txt'), 'do not serve');
    server = await startStaticServer({ root, port: 0 });
  });

  afterAll(() => server?.close());

  it('serves index.html with the cross-origin isolation headers', async () => {
    const response = await get(server.port, '/');
    expect(response.status).toBe(200);
    expect(response.body).toContain('hello');
    expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(response.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('sends the MIME types browsers insist on for modules and wasm', async () => {
    expect((await get(server.port, '/main.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get(server.port, '/kernels.wasm')).headers['content-type']).toBe('application/wasm');
    expect((await get(server.port, '/nested/')).body).toBe('nested');
  });

  it('never serves a file outside its root', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/nested/../../secret.txt', '/%00']) {
      const response = await get(server.port, path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.body).not.toContain('do not serve');
    }
    expect(resolveInside(root, '/../secret.txt')).toBe(join(root, 'secret.txt'));
    expect(resolveInside(root, '/%E0%A4%A')).toBeNull();
  });

  it('answers 404 for missing files and 405 for writes', async () => {
    expect((await get(server.port, '/missing.js')).status).toBe(404);
    expect((await get(server.port, '/', 'POST')).status).toBe(405);
  });

  it('falls back to a free port when the requested one is busy', async () => {
    const second = await startStaticServer({ root, port: server.port });
    try {
      expect(second.port).not.toBe(server.port);
    } finally {
      await second.close();
    }
  });

  it('answers range requests with 206 and Content-Range (model files are read by range)', async () => {
    const part = await get(server.port, '/main.js', 'GET', { Range: 'bytes=2-5' });
    expect(part.status).toBe(206);
    expect(part.body).toBe('port');
    expect(part.headers['content-range']).toBe('bytes 2-5/10');
    expect(part.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect((await get(server.port, '/main.js', 'GET', { Range: 'bytes=7-' })).body).toBe('{};');
    expect((await get(server.port, '/main.js', 'GET', { Range: 'bytes=20-' })).status).toBe(416);
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=0-1,4-5', 10)).toBeNull();
  });
});

import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobByteSource, MemoryByteSource, readInto, type ByteSource } from './byte-source.js';
import { HttpRangeSource } from './http-range-source.js';
import { openFileSource } from './node-file-source.js';

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);

/** Serves `bytes` at /file with range support, and at /norange ignoring ranges. */
function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === '/missing') return response.writeHead(404).end();
    const range = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '');
    if (request.method === 'HEAD') return response.writeHead(200, { 'content-length': bytes.byteLength }).end();
    if (range && request.url === '/shifted') {
      // A proxy that answers every range from the file's start.
      const length = Number(range[2]) - Number(range[1]) + 1;
      return response.writeHead(206, { 'content-range': `bytes 0-${length - 1}/${bytes.byteLength}` }).end(bytes.subarray(0, length));
    }
    if (range && request.url === '/replaced') {
      // The file changed on the server after the HEAD request: the same range of a longer file.
      const [start, end] = [Number(range[1]), Number(range[2])];
      return response.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.byteLength * 2}` }).end(bytes.subarray(start, end + 1));
    }
    if (range && request.url === '/dropped') {
      // Promises the whole range, sends half of it, then drops the connection.
      const [start, end] = [Number(range[1]), Number(range[2])];
      response.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.byteLength}`, 'content-length': end - start + 1 });
      response.write(bytes.subarray(start, start + (end - start + 1) / 2));
      return setTimeout(() => request.socket.destroy(), 20);
    }
    if (range && request.url === '/file') {
      const [start, end] = [Number(range[1]), Number(range[2])];
      return response.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.byteLength}` }).end(bytes.subarray(start, end + 1));
    }
    response.writeHead(200).end(bytes);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

describe('byte sources', () => {
  let directory: string;
  let http: { server: Server; url: string };
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cria-sources-'));
    await writeFile(join(directory, 'file.bin'), bytes);
    http = await serve();
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
    await new Promise((resolve) => http.server.close(resolve));
  });

  const sources: Array<[string, () => Promise<ByteSource>]> = [
    ['memory', async () => new MemoryByteSource(bytes)],
    ['blob', async () => new BlobByteSource(new Blob([bytes]))],
    ['node file', () => openFileSource(join(directory, 'file.bin'))],
    ['http range', () => HttpRangeSource.open(`${http.url}/file`)],
  ];

  it.each(sources)('%s: reads exact ranges and reports reads past the end as truncation', async (_, open) => {
    const source = await open();
    expect(source.size).toBe(1000);
    expect(await source.read(10, 5)).toEqual(bytes.subarray(10, 15));
    expect(await source.read(0, 1000)).toEqual(bytes);
    expect((await source.read(1000, 0)).byteLength).toBe(0);
    await expect(source.read(990, 20)).rejects.toMatchObject({ code: 'truncated' });
    await source.close?.();
  });

  it.each(sources)('%s: readInto fills a caller buffer (a view into a larger one) and reports truncation', async (_, open) => {
    const source = await open();
    const buffer = new Uint8Array(64).fill(0xee);
    await readInto(source, 100, buffer.subarray(8, 40));
    expect(buffer.subarray(8, 40)).toEqual(bytes.subarray(100, 132));
    expect(buffer[7]).toBe(0xee);
    expect(buffer[40]).toBe(0xee);
    await expect(readInto(source, 990, buffer.subarray(0, 20))).rejects.toMatchObject({ code: 'truncated' });
    await source.close?.();
  });

  it('names files and URLs that cannot be opened, and servers without range support', async () => {
    await expect(openFileSource(join(directory, 'nope.bin'))).rejects.toMatchObject({ code: 'file-not-found' });
    await expect(openFileSource(directory)).rejects.toThrow(/not a regular file/);
    await expect(HttpRangeSource.open(`${http.url}/missing`)).rejects.toThrow(/HTTP 404/);
    const noRange = await HttpRangeSource.open(`${http.url}/norange`);
    await expect(noRange.read(0, 10)).rejects.toThrow(/range requests/);
  });

  it('refuses a server that answers other bytes, for a changed file, or drops the connection midway', async () => {
    const shifted = await HttpRangeSource.open(`${http.url}/shifted`);
    await expect(shifted.read(100, 10)).rejects.toMatchObject({ code: 'invalid-header', expected: 'bytes 100-109/1000', got: 'bytes 0-9/1000' });
    expect(await shifted.read(0, 10)).toEqual(bytes.subarray(0, 10)); // the range it does answer right
    const replaced = await HttpRangeSource.open(`${http.url}/replaced`);
    await expect(replaced.read(100, 10)).rejects.toThrow(/for a file of another size.*expected bytes 100-109\/1000, got bytes 100-109\/2000/s);
    const dropped = await HttpRangeSource.open(`${http.url}/dropped`);
    const error = await dropped.read(0, 1000).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'network-error', subject: 'range 0-999' });
    expect((error as Error).message).toMatch(/the connection failed while reading range 0-999 \(/);
  });
});

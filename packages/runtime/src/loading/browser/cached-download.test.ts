import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile, type CacheLike } from './cached-download.js';
import { DownloadError, IntegrityError } from './download-errors.js';

const FILE = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
const SHA256 = createHash('sha256').update(FILE).digest('hex');

/** The Cache API's get/put/delete over a Map (Node has no `caches`), headers kept as the real one does. */
class MemoryCache implements CacheLike {
  readonly entries = new Map<string, Blob>();
  readonly headers = new Map<string, Headers>();
  async match(key: string) {
    const blob = this.entries.get(key);
    return blob ? new Response(blob, { headers: this.headers.get(key) }) : undefined;
  }
  async put(key: string, response: Response) {
    this.entries.set(key, await response.blob());
    this.headers.set(key, new Headers(response.headers));
  }
  async delete(key: string) {
    this.headers.delete(key);
    return this.entries.delete(key);
  }
}

/** Serves FILE with ranges; `/cut` drops the connection after `cutAfter` bytes of the first full-body answer. */
let server: Server;
let base: string;
let requests: Array<{ url: string; range?: string; ifRange?: string }> = [];
let cutsLeft = 0;
/** `/versioned` serves this version of the file, with its ETag, and honours If-Range. */
let version = 1;
const versionOf = (n: number) => FILE.map((byte) => (byte + n) & 0xff);
const resizedOf = (n: number) => Uint8Array.from([...versionOf(n), ...new Uint8Array(n)]);
beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ url: request.url!, range: request.headers.range, ifRange: request.headers['if-range'] });
    if (request.url === '/missing') return response.writeHead(404).end();
    if (request.url === '/versioned' || request.url === '/resized') {
      // /versioned: If-Range with an old ETag gets the whole new file (200), as HTTP servers do.
      // /resized: no validators, and each version of the file is a byte longer.
      const file = request.url === '/versioned' ? versionOf(version) : resizedOf(version);
      const range = /bytes=(\d+)-/.exec(request.headers.range ?? '');
      const current = `"v${version}"`;
      const partial = range && (request.url === '/resized' || request.headers['if-range'] === current);
      const start = partial ? Number(range[1]) : 0;
      const body = file.subarray(start);
      response.writeHead(partial ? 206 : 200, {
        'content-length': body.byteLength,
        ...(request.url === '/versioned' ? { etag: current } : {}),
        ...(partial ? { 'content-range': `bytes ${start}-${file.byteLength - 1}/${file.byteLength}` } : {}),
      });
      if (cutsLeft > 0) {
        cutsLeft--;
        version++; // the file changes on the server while the connection is down
        response.write(body.subarray(0, body.byteLength >> 1), () => setTimeout(() => response.socket?.destroy(), 20));
        return;
      }
      return response.end(body);
    }
    const range = /bytes=(\d+)-/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = FILE.subarray(start);
    response.writeHead(range ? 206 : 200, {
      'content-length': body.byteLength,
      ...(range ? { 'content-range': `bytes ${start}-${FILE.byteLength - 1}/${FILE.byteLength}` } : {}),
    });
    if (request.url === '/stall' && start === 0) {
      // Half the body, then nothing until the client gives up (a stalled download the user cancels).
      response.write(body.subarray(0, body.byteLength >> 1));
      request.on('close', () => response.destroy());
      return;
    }
    if (request.url === '/cut' && cutsLeft > 0) {
      cutsLeft--;
      // Half the remaining body, then a reset: the client sees the stream fail mid-body.
      response.write(body.subarray(0, body.byteLength >> 1), () => setTimeout(() => response.socket?.destroy(), 20));
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  requests = [];
  cutsLeft = 0;
  version = 1;
});

describe('downloadFile', () => {
  it('downloads with progress, caches, and answers the next call from the cache', async () => {
    const cache = new MemoryCache();
    const progress: number[] = [];
    const blob = await downloadFile(`${base}/file`, { cache, sha256: SHA256, onProgress: (event) => progress.push(event.loadedBytes) });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(FILE);
    expect(progress.at(-1)).toBe(FILE.byteLength);
    expect([...cache.entries.keys()]).toEqual([`${base}/file`]);
    await downloadFile(`${base}/file`, { cache });
    expect(requests).toHaveLength(1);
  });

  it('resumes an interrupted download with a Range request from the bytes it kept', async () => {
    const cache = new MemoryCache();
    cutsLeft = 2;
    const blob = await downloadFile(`${base}/cut`, { cache, sha256: SHA256, partBytes: 16_384 });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(FILE);
    expect(requests[0]!.range).toBeUndefined();
    const resumedFrom = requests.slice(1).map((request) => Number(/bytes=(\d+)-/.exec(request.range ?? '')?.[1]));
    expect(resumedFrom).toHaveLength(2);
    expect(resumedFrom[0]).toBeGreaterThan(0);
    expect(resumedFrom[1]).toBeGreaterThan(resumedFrom[0]!);
    // The parts were joined into the file and dropped.
    expect([...cache.entries.keys()]).toEqual([`${base}/cut`]);
  });

  it('resumes in a later call from the parts an earlier one left in the cache', async () => {
    const cache = new MemoryCache();
    cutsLeft = 1;
    await expect(downloadFile(`${base}/cut`, { cache, retries: 0, partBytes: 16_384 })).rejects.toBeInstanceOf(DownloadError);
    const kept = [...cache.entries.values()].reduce((sum, blob) => sum + blob.size, 0);
    expect(kept).toBeGreaterThan(0);
    const blob = await downloadFile(`${base}/cut`, { cache, sha256: SHA256 });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(FILE);
    expect(requests.at(-1)!.range).toBe(`bytes=${kept}-`);
  });

  it('resumes with If-Range: a file changed on the server since the kept bytes is downloaded whole, not spliced', async () => {
    const cache = new MemoryCache();
    cutsLeft = 1;
    await expect(downloadFile(`${base}/versioned`, { cache, retries: 0, partBytes: 16_384 })).rejects.toBeInstanceOf(DownloadError);
    const blob = await downloadFile(`${base}/versioned`, { cache });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(versionOf(2));
    expect(requests.at(-1)).toMatchObject({ ifRange: '"v1"' });
    expect(requests.at(-1)!.range).toMatch(/^bytes=\d+-$/);
    expect([...cache.entries.keys()]).toEqual([`${base}/versioned`]); // the old parts are gone
  });

  it('starts over when a resumed answer is for a file of another size (a server without validators)', async () => {
    cutsLeft = 1;
    const blob = await downloadFile(`${base}/resized`, { cache: new MemoryCache(), partBytes: 16_384 });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(resizedOf(2));
    // The cut, the resume whose Content-Range named the new size, then the whole file again.
    expect(requests.map((request) => request.range === undefined)).toEqual([true, false, true]);
  });

  it('cancels a download mid-body on abort, keeping the bytes received for a later resume', async () => {
    const cache = new MemoryCache();
    const controller = new AbortController();
    let seen = 0;
    const cancelled = downloadFile(`${base}/stall`, {
      cache,
      signal: controller.signal,
      onProgress: ({ loadedBytes }) => {
        seen = loadedBytes;
        if (loadedBytes >= FILE.byteLength >> 1) controller.abort();
      },
    });
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBe(FILE.byteLength >> 1);
    const kept = [...cache.entries.values()].reduce((sum, blob) => sum + blob.size, 0);
    expect(kept).toBe(FILE.byteLength >> 1);
    const blob = await downloadFile(`${base}/stall`, { cache, sha256: SHA256 });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(FILE);
    expect(requests.at(-1)!.range).toBe(`bytes=${kept}-`);
  });

  it('hashes a verified file once: later loads compare the digest stored with it', async () => {
    const cache = new MemoryCache();
    const phases = (events: string[]) => (event: { phase: string }) => events.push(event.phase);
    const first: string[] = [];
    await downloadFile(`${base}/file`, { cache, sha256: SHA256, onProgress: phases(first) });
    expect(first).toContain('verify');
    expect(cache.headers.get(`${base}/file`)!.get('x-cria-sha256')).toBe(SHA256);
    const again: string[] = [];
    const blob = await downloadFile(`${base}/file`, { cache, sha256: SHA256.toUpperCase(), onProgress: phases(again) });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(FILE);
    expect(again).toEqual(['download']); // no request, no hashing
    // Another expected hash still fails, from the stored digest, and drops the copy.
    await expect(downloadFile(`${base}/file`, { cache, sha256: '1'.repeat(64) })).rejects.toMatchObject({ got: SHA256 });
    expect(cache.entries.size).toBe(0);
  });

  it('rejects a SHA-256 mismatch with IntegrityError and keeps no copy', async () => {
    const cache = new MemoryCache();
    const wrong = '0'.repeat(64);
    const failure = downloadFile(`${base}/file`, { cache, sha256: wrong });
    await expect(failure).rejects.toBeInstanceOf(IntegrityError);
    await expect(failure).rejects.toMatchObject({ expected: wrong, got: SHA256, code: 'integrity_mismatch' });
    expect(cache.entries.size).toBe(0);
    // A cached copy that no longer matches is dropped too.
    await downloadFile(`${base}/file`, { cache });
    await expect(downloadFile(`${base}/file`, { cache, sha256: wrong })).rejects.toBeInstanceOf(IntegrityError);
    expect(cache.entries.size).toBe(0);
  });

  it('names HTTP errors and stops on abort', async () => {
    await expect(downloadFile(`${base}/missing`, { cache: null })).rejects.toMatchObject({ httpStatus: 404, code: 'download_failed' });
    const controller = new AbortController();
    controller.abort();
    await expect(downloadFile(`${base}/file`, { cache: null, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

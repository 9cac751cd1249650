import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

/**
 * A loopback HTTP server over a directory, answering as model hosts do: HEAD with Content-Length,
 * GET whole, or one `Range: bytes=a-b` (206). It records every request. Node only; tests only.
 */
export interface RangeFileServer {
  url: string;
  requests: Array<{ method: string; path: string; range?: string }>;
  close(): Promise<void>;
}

export async function serveFilesWithRanges(root: string): Promise<RangeFileServer> {
  const requests: RangeFileServer['requests'] = [];
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url!, 'http://x').pathname);
    requests.push({ method: request.method!, path, range: request.headers.range });
    const bytes = await readFile(join(root, normalize(path))).catch(() => undefined);
    if (!bytes) return response.writeHead(404).end();
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
    if (!range) return response.writeHead(200, { 'content-length': bytes.byteLength }).end(request.method === 'HEAD' ? undefined : bytes);
    const [start, end] = [Number(range[1]), Math.min(Number(range[2]), bytes.byteLength - 1)];
    response.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${bytes.byteLength}` });
    response.end(bytes.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

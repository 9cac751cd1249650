// A small static file server for the demo: serves one folder with the cross-origin isolation
// headers that SharedArrayBuffer (and so the multi-threaded wasm backend) needs in browsers.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

// COOP + COEP make the page crossOriginIsolated, which is what unlocks SharedArrayBuffer;
// CORP lets the page's own subresources (workers, wasm) load under require-corp.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Maps a URL path to a file inside `root`, or null when it would escape it. Decoding happens
 * before normalising so that `%2e%2e/` cannot sneak past the check.
 */
export function resolveInside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  const file = resolve(root, relative);
  if (file !== root && !file.startsWith(root + sep)) return null;
  return file;
}

function send(response, status, message) {
  response.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(message);
}

async function handle(root, request, response) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'method not allowed\n');
  }
  let file = resolveInside(root, request.url ?? '/');
  if (!file) return send(response, 403, 'forbidden\n');
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return send(response, 404, 'not found\n');
  const headers = {
    ...ISOLATION_HEADERS,
    'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    // Model files are read with range requests (GGUF headers, resumed downloads).
    'Accept-Ranges': 'bytes',
    // The demo is rebuilt often while developing: never serve a stale bundle.
    'Cache-Control': 'no-store',
  };
  const range = parseRange(request.headers.range, info.size);
  if (range === 'unsatisfiable') {
    response.writeHead(416, { ...headers, 'Content-Range': `bytes */${info.size}` });
    return response.end();
  }
  if (range) {
    response.writeHead(206, { ...headers, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${info.size}` });
    if (request.method === 'HEAD') return response.end();
    return createReadStream(file, range).pipe(response);
  }
  response.writeHead(200, { ...headers, 'Content-Length': info.size });
  if (request.method === 'HEAD') return response.end();
  createReadStream(file).pipe(response);
}

/**
 * One `bytes=start-end`, `bytes=start-` or `bytes=-suffix` range → inclusive { start, end }; no
 * header (or a multi-range, which the demo never asks for) → null, served whole.
 */
export function parseRange(header, size) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start;
  let end;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start > end || start >= size ? 'unsatisfiable' : { start, end };
}

function listen(server, port, host) {
  return new Promise((resolvePromise, reject) => {
    const onError = (error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts serving `root` on `host:port`. When `port` is busy and `fallback` is set, takes any free
 * port instead. Port 0 always picks a free port (what the end-to-end test uses). `intercept(request,
 * response)` returning true means it answered the request (tests).
 * Resolves to `{ server, url, close() }`.
 */
export async function startStaticServer({ root, port = 0, host = '127.0.0.1', fallback = true, intercept }) {
  const absoluteRoot = resolve(root);
  const server = createServer((request, response) => {
    // `intercept` (tests) may answer a request itself, e.g. to cut a download mid-body.
    if (intercept?.(request, response)) return;
    handle(absoluteRoot, request, response).catch((error) => {
      if (!response.headersSent) send(response, 500, `${error.message}\n`);
      else response.destroy(error);
    });
  });
  try {
    await listen(server, port, host);
  } catch (error) {
    if (error.code !== 'EADDRINUSE' || !fallback) throw error;
    await listen(server, 0, host);
  }
  const address = server.address();
  const url = `http://${host === '127.0.0.1' || host === '::1' ? 'localhost' : host}:${address.port}/`;
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const close = () =>
    new Promise((resolveClose) => {
      // Keep-alive connections would hold the server open: end them.
      for (const socket of sockets) socket.destroy();
      server.close(() => resolveClose());
    });
  return { server, url, port: address.port, close };
}

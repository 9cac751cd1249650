import type { LoadProgress } from '../../engine/api-types.js';
import { DownloadError, IntegrityError } from './download-errors.js';
import { sha256Hex } from './sha256-blob.js';

/** The part of the Cache API (`caches.open(name)`) the downloader uses; tests pass an in-memory one. */
export interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface DownloadOptions {
  /**
   * Where finished files and interrupted parts persist. Default: the Cache API's `cria-models` cache
   * when the page has one (secure contexts), else nothing is kept. `null` keeps nothing.
   */
  cache?: CacheLike | null;
  /** Hex SHA-256 of the whole file: checked after download (and on a cache hit). */
  sha256?: string;
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  /** Resumes after a dropped connection before giving up (default 3). */
  retries?: number;
  /** Bytes held in memory before they are written to the cache as a part (default 16 MiB). */
  partBytes?: number;
}

export const MODEL_CACHE_NAME = 'cria-models';
const DEFAULT_PART_BYTES = 16 << 20;

/** The default cache: the Cache API where the page has one (browsers in secure contexts), else none. */
export async function defaultModelCache(): Promise<CacheLike | null> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return null;
  try {
    return await storage.open(MODEL_CACHE_NAME);
  } catch {
    return null; // opaque origins and some private modes refuse the Cache API
  }
}

// Interrupted downloads are kept as numbered parts: `<url>#cria-part-0`, `-1`, …; a resume asks the
// server for the bytes after the last one (a Range request) and the parts are joined when complete.
const partKey = (url: string, index: number) => `${url}#cria-part-${index}`;

/**
 * The response header a part is stored with: the ETag (or Last-Modified) of the file the bytes came
 * from, sent back as `If-Range` on resume, so a server whose file changed since answers with the
 * whole new file (200) instead of the rest of the new one appended to the start of the old.
 */
const VALIDATOR_HEADER = 'x-cria-if-range';

async function loadParts(cache: CacheLike | null, url: string): Promise<{ parts: Blob[]; validator?: string }> {
  const parts: Blob[] = [];
  let validator: string | undefined;
  if (!cache) return { parts };
  for (;;) {
    const response = await cache.match(partKey(url, parts.length));
    if (!response) return { parts, validator };
    if (parts.length === 0) validator = response.headers.get(VALIDATOR_HEADER) ?? undefined;
    parts.push(await response.blob());
  }
}

/** What `If-Range` may carry: a strong ETag (a weak one is not allowed there), else Last-Modified. */
function validatorOf(response: Response): string | undefined {
  const etag = response.headers.get('etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return response.headers.get('last-modified') ?? undefined;
}

async function dropParts(cache: CacheLike | null, url: string, count: number): Promise<void> {
  if (cache) for (let index = 0; index < count; index++) await cache.delete(partKey(url, index));
}

/** The file's SHA-256, reported as a 'verify' phase of the download's progress. */
function hashOf(url: string, blob: Blob, options: DownloadOptions): Promise<string> {
  return sha256Hex(blob, {
    signal: options.signal,
    onProgress: (loadedBytes, totalBytes) => options.onProgress?.({ phase: 'verify', loadedBytes, totalBytes, item: url }),
  });
}

/**
 * A cached copy against the expected hash. A copy stored after a verified download carries its
 * digest (VERIFIED_HEADER), so a reload compares two strings instead of re-reading gigabytes; one
 * stored without a check is hashed now.
 */
async function verify(url: string, hit: Response, blob: Blob, options: DownloadOptions): Promise<void> {
  if (!options.sha256) return;
  const got = hit.headers.get(VERIFIED_HEADER) ?? (await hashOf(url, blob, options));
  if (got !== options.sha256.toLowerCase()) throw new IntegrityError(url, options.sha256.toLowerCase(), got);
}

/** The SHA-256 a cached file was verified against when it was stored. */
const VERIFIED_HEADER = 'x-cria-sha256';

const aborted = (signal: AbortSignal | undefined) => signal?.reason ?? new DOMException('the download was aborted', 'AbortError');

/**
 * Downloads `url` into the cache and returns it as a Blob (disk-backed when it comes from the Cache
 * API, so a multi-gigabyte model is not held in memory). A cached copy is returned without a
 * request. A dropped connection is resumed with `Range: bytes=<cached length>-`, both within this
 * call (`retries`) and in a later one (after a reload): the bytes received so far are kept in the
 * cache as parts. With `sha256`, a mismatch drops the cached copy and throws IntegrityError; a
 * copy verified when it was stored is not hashed again on later loads.
 */
export async function downloadFile(url: string, options: DownloadOptions = {}): Promise<Blob> {
  const cache = options.cache === undefined ? await defaultModelCache() : options.cache;
  const hit = await cache?.match(url);
  if (hit) {
    const blob = await hit.blob();
    try {
      await verify(url, hit, blob, options);
      options.onProgress?.({ phase: 'download', loadedBytes: blob.size, totalBytes: blob.size, item: url });
      return blob;
    } catch (error) {
      await cache!.delete(url);
      throw error;
    }
  }

  const { parts, validator: keptValidator } = await loadParts(cache, url);
  let validator = keptValidator;
  const partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
  let offset = parts.reduce((sum, part) => sum + part.size, 0);
  let failures = 0;
  let total: number | undefined;

  // Writes the bytes received since the last part as a new part (kept in memory when there is no cache).
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const blob = new Blob(pending as BlobPart[]);
    pending = [];
    pendingBytes = 0;
    if (cache) {
      const key = partKey(url, parts.length);
      await cache.put(key, new Response(blob, { headers: validator ? { [VALIDATOR_HEADER]: validator } : {} }));
      parts.push((await (await cache.match(key))?.blob()) ?? blob);
    } else {
      parts.push(blob);
    }
  };

  // The kept bytes belong to another version of the file (or the server cannot resume): drop them.
  const startOver = async () => {
    await dropParts(cache, url, parts.length);
    parts.length = 0;
    offset = 0;
  };

  for (;;) {
    if (options.signal?.aborted) throw aborted(options.signal);
    let response: Response;
    try {
      const resume = offset > 0 ? { Range: `bytes=${offset}-`, ...(validator ? { 'If-Range': validator } : {}) } : {};
      response = await fetch(url, { headers: resume, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw aborted(options.signal);
      if (++failures > (options.retries ?? 3)) throw new DownloadError(url, `cannot reach the server (${(error as Error).message}); check the URL and the network`);
      continue;
    }
    if (offset > 0 && response.status === 206) {
      const range = /^bytes (\d+)-\d+\/(\d+|\*)/.exec(response.headers.get('content-range') ?? '');
      if (!range || Number(range[1]) !== offset) throw new DownloadError(url, `the server answered a resume from byte ${offset} with Content-Range "${response.headers.get('content-range')}"`, 206);
      if (range[2] !== '*' && total !== undefined && Number(range[2]) !== total) {
        // The file's size changed since the bytes kept (a server without If-Range): they belong to another file.
        await response.body?.cancel();
        await startOver();
        validator = undefined;
        if (++failures > (options.retries ?? 3)) throw new DownloadError(url, `the file changed on the server during the download ${failures} times; try again later`);
        continue;
      }
      if (range[2] !== '*') total = Number(range[2]);
    } else if (response.status === 200) {
      if (offset > 0) {
        // The server ignored the Range header, or the file changed (If-Range): start over.
        await startOver();
      }
      validator = validatorOf(response);
      const length = Number(response.headers.get('content-length') ?? NaN);
      total = Number.isSafeInteger(length) ? length : undefined;
    } else {
      await response.body?.cancel();
      const hint = response.status === 404 ? 'the file is not there; check the URL' : 'check the URL (and an access token for gated models)';
      throw new DownloadError(url, `HTTP ${response.status}; ${hint}`, response.status);
    }

    const reader = response.body!.getReader();
    let received = offset;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        pending.push(value);
        pendingBytes += value.byteLength;
        received += value.byteLength;
        options.onProgress?.({ phase: 'download', loadedBytes: received, totalBytes: total ?? received, item: url });
        if (pendingBytes >= partBytes) await flush();
      }
    } catch (error) {
      await flush(); // keep what arrived, for the resume
      offset = received;
      if (options.signal?.aborted) throw aborted(options.signal);
      if (++failures > (options.retries ?? 3)) throw new DownloadError(url, `the connection dropped ${failures} times (last: ${(error as Error).message}); reload to resume from byte ${offset}`);
      continue;
    }
    await flush();
    offset = received;
    if (total === undefined || offset >= total) break;
    // The body ended early without an error (a proxy closed it cleanly): resume.
    if (++failures > (options.retries ?? 3)) throw new DownloadError(url, `the body ended at byte ${offset} of ${total} ${failures} times; reload to resume`);
  }

  const blob = new Blob(parts);
  if (total !== undefined && blob.size !== total) throw new DownloadError(url, `got ${blob.size} bytes, the server announced ${total}`);
  const got = options.sha256 ? await hashOf(url, blob, options) : undefined;
  // The parts go either way: joined into the cached file, or wrong (a failed check starts afresh next time).
  if (cache) {
    if (got === options.sha256?.toLowerCase()) {
      await cache.put(url, new Response(blob, { headers: { 'content-length': String(blob.size), ...(got ? { [VERIFIED_HEADER]: got } : {}) } }));
    }
    await dropParts(cache, url, parts.length);
  }
  if (options.sha256 && got !== options.sha256.toLowerCase()) throw new IntegrityError(url, options.sha256.toLowerCase(), got!);
  return (await (await cache?.match(url))?.blob()) ?? blob;
}

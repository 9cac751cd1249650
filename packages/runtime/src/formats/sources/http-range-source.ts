import { ModelFormatError, TruncatedFileError, formatError } from '../errors.js';
import { assertInBounds, type ByteSource } from './byte-source.js';

/**
 * A file behind an HTTP(S) URL, read with `Range` requests: headers come from one small request and
 * each tensor from its own, so a browser never downloads the file into one buffer. The server must
 * answer ranges with 206 (Hugging Face, S3, GitHub releases and `npx serve` all do).
 */
export class HttpRangeSource implements ByteSource {
  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly init: RequestInit,
  ) {}

  static async open(url: string, init: RequestInit = {}): Promise<HttpRangeSource> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, method: 'HEAD' });
    } catch (error) {
      throw formatError('file-not-found', url, `cannot reach the URL (${(error as Error).message})`, 'check the URL and your network connection');
    }
    if (!response.ok) throw formatError('file-not-found', url, `HEAD request failed with HTTP ${response.status}`, 'check the URL (and an access token for gated models)');
    const size = Number(response.headers.get('content-length'));
    if (!Number.isSafeInteger(size) || size < 0) {
      throw formatError('invalid-header', url, 'the server sent no usable Content-Length', 'serve the file from a server that reports its size and supports range requests');
    }
    return new HttpRangeSource(url, size, init);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    assertInBounds(this, offset, length, `reading ${length} bytes at offset ${offset}`);
    if (length === 0) return new Uint8Array(0);
    const last = offset + length - 1;
    const headers = new Headers(this.init.headers);
    headers.set('Range', `bytes=${offset}-${last}`);
    const range = `range ${offset}-${last}`;
    let bytes: Uint8Array;
    try {
      const response = await fetch(this.name, { ...this.init, headers });
      if (response.status !== 206) {
        await response.body?.cancel();
        throw formatError('invalid-header', this.name, `a range request was answered with HTTP ${response.status}`, 'serve the file from a server that supports HTTP range requests (status 206)', {
          expected: 206,
          got: response.status,
        });
      }
      this.#checkContentRange(response.headers.get('content-range'), offset, last);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      // An abort is the caller's, not the network's: it goes up as it came.
      if (error instanceof ModelFormatError || this.init.signal?.aborted || (error as { name?: unknown } | null)?.name === 'AbortError') throw error;
      // fetch rejects with a bare TypeError ("fetch failed", "terminated") when the connection drops.
      throw formatError('network-error', this.name, `the connection failed while reading ${range} (${describeNetworkError(error)})`, 'check the network connection and load the model again (a browser download resumes from its cache)', { subject: range });
    }
    if (bytes.byteLength !== length) throw new TruncatedFileError(this.name, range, offset + length, offset + bytes.byteLength);
    return bytes;
  }

  /**
   * A 206 must be for the bytes asked for, of a file of the size the HEAD request reported: a proxy
   * that shifts ranges, or a file replaced between requests, would otherwise mix two files' bytes.
   */
  #checkContentRange(header: string | null, first: number, last: number): void {
    if (header === null) return; // optional for the server; the length check still holds
    const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
    const total = match?.[3] === '*' ? this.size : Number(match?.[3]);
    if (!match || Number(match[1]) !== first || Number(match[2]) !== last || total !== this.size) {
      throw formatError('invalid-header', this.name, 'a range request was answered for other bytes, or for a file of another size', 'the file changed on the server while it was read, or a proxy rewrites ranges; load the model again', {
        expected: `bytes ${first}-${last}/${this.size}`,
        got: header,
      });
    }
  }
}

/** undici's TypeError("fetch failed") keeps the socket's reason in `cause`. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  const message = error instanceof Error ? error.message : String(error);
  return cause?.message ? `${message}: ${cause.code ? `${cause.code} ` : ''}${cause.message}` : message;
}

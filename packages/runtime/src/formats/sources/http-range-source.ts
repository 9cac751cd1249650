import { TruncatedFileError, formatError } from '../errors.js';
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
    const headers = new Headers(this.init.headers);
    headers.set('Range', `bytes=${offset}-${offset + length - 1}`);
    const response = await fetch(this.name, { ...this.init, headers });
    if (response.status !== 206) {
      await response.body?.cancel();
      throw formatError('invalid-header', this.name, `a range request was answered with HTTP ${response.status}`, 'serve the file from a server that supports HTTP range requests (status 206)', {
        expected: 206,
        got: response.status,
      });
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength !== length) throw new TruncatedFileError(this.name, `range ${offset}-${offset + length - 1}`, offset + length, offset + bytes.byteLength);
    return bytes;
  }
}

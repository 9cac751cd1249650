import { u64ToSafe } from '../checked-math.js';
import { TruncatedFileError, formatError } from '../errors.js';

/**
 * Thrown (internally) when the header runs past the bytes read so far but not past the file: the
 * reader reads further and parses again. The header is variable-length (a tokenizer vocabulary can
 * be megabytes), so it is read in growing pieces rather than guessed or read whole.
 */
export class NeedMoreBytes {
  constructor(readonly end: number) {}
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A little-endian cursor over the start of a file that checks every read against the file's size. */
export class HeaderCursor {
  position = 0;
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly fileSize: number,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.fileSize - this.position;
  }

  /** Reserves `length` bytes and returns where they start. */
  take(length: number, what: string, subject?: string): number {
    const start = this.position;
    if (start + length > this.fileSize) throw new TruncatedFileError(this.file, `${what} runs past the end of the file`, start + length, this.fileSize, subject);
    if (start + length > this.bytes.byteLength) throw new NeedMoreBytes(start + length);
    this.position += length;
    return start;
  }

  u8(what: string, subject?: string): number {
    return this.view.getUint8(this.take(1, what, subject));
  }

  u32(what: string, subject?: string): number {
    return this.view.getUint32(this.take(4, what, subject), true);
  }

  u64(what: string, subject?: string): bigint {
    return this.view.getBigUint64(this.take(8, what, subject), true);
  }

  /** A u64 that must be exact as a number (counts, lengths, dims, offsets). */
  safeU64(what: string, subject?: string): number {
    const value = this.u64(what, subject);
    const safe = u64ToSafe(value);
    if (safe === undefined) {
      throw formatError('integer-overflow', this.file, `${what} is ${value}, beyond 2^53`, 'the header is corrupt; re-download the file', { subject });
    }
    return safe;
  }

  /** A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). */
  string(what: string, subject?: string): string {
    const length = this.u64(`the length of ${what}`, subject);
    if (length > BigInt(this.remaining)) {
      const end = BigInt(this.position) + length;
      throw new TruncatedFileError(this.file, `${what} claims ${length} bytes`, end > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(end), this.fileSize, subject);
    }
    const start = this.take(Number(length), what, subject);
    try {
      return utf8.decode(this.bytes.subarray(start, start + Number(length)));
    } catch {
      throw formatError('invalid-utf8', this.file, `${what} is not valid UTF-8`, 'the file is corrupt; re-download or re-convert it', { subject });
    }
  }

  /** A copy of `length` bytes (so typed arrays over it are aligned and independent of the header buffer). */
  copy(length: number, what: string, subject?: string): ArrayBuffer {
    const start = this.take(length, what, subject);
    return this.bytes.slice(start, start + length).buffer as ArrayBuffer;
  }
}

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
  /** Skip decoding arrays of strings (see parseGgufHeader's `scan`). */
  scan = false;
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

  /**
   * A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). `item` ≥ 0 names it as that
   * item of `what` in errors: the description is built only when it is needed (a vocabulary is
   * ~10⁵ strings).
   */
  string(what: string, subject?: string, item = -1): string {
    const start = this.#stringBytes(what, subject, item);
    try {
      return utf8.decode(this.bytes.subarray(start, this.position));
    } catch {
      throw formatError('invalid-utf8', this.file, `${describe(what, item)} is not valid UTF-8`, 'the file is corrupt; re-download or re-convert it', { subject });
    }
  }

  /** Moves past a GGUF string without decoding it (a scan for where the header ends). */
  skipString(what: string, subject?: string, item = -1): void {
    this.#stringBytes(what, subject, item);
  }

  /** Takes a string's length and bytes; returns where the bytes start. */
  #stringBytes(what: string, subject: string | undefined, item: number): number {
    // The u64 length as two u32 halves: no BigInt per string on the common path.
    const at = this.#takeDescribed(8, 'the length of ', what, subject, item);
    const low = this.view.getUint32(at, true);
    const high = this.view.getUint32(at + 4, true);
    const length = high * 2 ** 32 + low; // exact below 2^53; larger lengths fail the check below anyway
    if (length > this.remaining) {
      const end = this.position + length;
      throw new TruncatedFileError(this.file, `${describe(what, item)} claims ${high === 0 ? length : (BigInt(high) << 32n) | BigInt(low)} bytes`, Math.min(end, Number.MAX_SAFE_INTEGER), this.fileSize, subject);
    }
    return this.#takeDescribed(length, '', what, subject, item);
  }

  /** `take`, with its description built only when the bytes are not there. */
  #takeDescribed(length: number, prefix: string, what: string, subject: string | undefined, item: number): number {
    const start = this.position;
    if (start + length <= this.bytes.byteLength && start + length <= this.fileSize) {
      this.position += length;
      return start;
    }
    return this.take(length, prefix + describe(what, item), subject); // throws
  }

  /** A copy of `length` bytes (so typed arrays over it are aligned and independent of the header buffer). */
  copy(length: number, what: string, subject?: string): ArrayBuffer {
    const start = this.take(length, what, subject);
    return this.bytes.slice(start, start + length).buffer as ArrayBuffer;
  }
}

function describe(what: string, item: number): string {
  return item < 0 ? what : `item ${item} of ${what}`;
}

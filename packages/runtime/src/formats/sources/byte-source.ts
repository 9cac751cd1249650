import { TruncatedFileError } from '../errors.js';

/**
 * Random access to the bytes of a model file, wherever it lives (a file on disk, a browser `File`
 * or `Blob`, an HTTP URL with range requests, memory). Readers parse headers from small reads and
 * then read one tensor at a time, so a checkpoint is never held in memory twice.
 */
export interface ByteSource {
  /** A name for error messages: the file name or URL. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `offset` (a fresh array the caller owns), or a TruncatedFileError. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Fills `target` with the `target.byteLength` bytes at `offset`, or throws a TruncatedFileError.
   * Optional: sources that can read into caller memory (a file) implement it, so a loader streaming
   * a tensor reuses one buffer instead of allocating a fresh array per piece (see `readInto`).
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  /** Releases the file handle, if any. Reads after `close` fail. */
  close?(): Promise<void>;
}

/** Checks a read against the source size, so every format reports truncation the same way. */
export function assertInBounds(source: ByteSource, offset: number, length: number, what: string, subject?: string): void {
  if (offset + length > source.size) throw new TruncatedFileError(source.name, what, offset + length, source.size, subject);
}

/** Reads into `target` through the source's own `readInto` when it has one, else through a copy of `read`. */
export async function readInto(source: ByteSource, offset: number, target: Uint8Array): Promise<void> {
  if (source.readInto) return source.readInto(offset, target);
  target.set(await source.read(offset, target.byteLength));
}

/** A source over bytes already in memory. Reads are copies, so callers may keep or mutate them. */
export class MemoryByteSource implements ByteSource {
  readonly size: number;

  constructor(
    private readonly bytes: Uint8Array,
    readonly name = 'memory',
  ) {
    this.size = bytes.byteLength;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    assertInBounds(this, offset, length, `reading ${length} bytes at offset ${offset}`);
    return this.bytes.slice(offset, offset + length);
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    assertInBounds(this, offset, target.byteLength, `reading ${target.byteLength} bytes at offset ${offset}`);
    target.set(this.bytes.subarray(offset, offset + target.byteLength));
  }
}

/** A source over a `Blob` or browser `File` (drag-and-drop, `<input type=file>`, OPFS): `slice` reads only the range. */
export class BlobByteSource implements ByteSource {
  readonly size: number;
  readonly name: string;

  constructor(
    private readonly blob: Blob,
    name?: string,
  ) {
    this.size = blob.size;
    this.name = name ?? ((blob as { name?: string }).name || 'blob');
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    assertInBounds(this, offset, length, `reading ${length} bytes at offset ${offset}`);
    const bytes = new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
    if (bytes.byteLength !== length) throw new TruncatedFileError(this.name, `reading ${length} bytes at offset ${offset}`, offset + length, offset + bytes.byteLength);
    return bytes;
  }
}

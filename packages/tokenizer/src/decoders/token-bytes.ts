import { byteLevelToBytes } from '../text/byte-level.js';

/**
 * The bytes of every token of a byte-level vocabulary in one pool, so decoding copies bytes
 * into a reused buffer and makes one string: no object per token, no concatenation of parts.
 */
export class TokenBytesTable {
  /** Token id's bytes are pool[offsets[id], offsets[id + 1]); -1 in `present` marks ids with no token. */
  private readonly offsets: Int32Array;
  private readonly pool: Uint8Array;
  private readonly present: Uint8Array;
  private buffer = new Uint8Array(1 << 12);

  /** `tokens[id]`: the vocabulary string of each id (holes for unused ids). */
  constructor(tokens: readonly (string | undefined)[]) {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let id = 0; id < tokens.length; id++) {
      const token = tokens[id];
      const bytes = token === undefined ? new Uint8Array(0) : byteLevelToBytes(token);
      parts.push(bytes);
      total += bytes.length;
    }
    this.offsets = new Int32Array(tokens.length + 1);
    this.pool = new Uint8Array(total);
    this.present = new Uint8Array(tokens.length);
    let offset = 0;
    parts.forEach((bytes, id) => {
      this.offsets[id] = offset;
      this.pool.set(bytes, offset);
      offset += bytes.length;
      this.present[id] = tokens[id] === undefined ? 0 : 1;
    });
    this.offsets[tokens.length] = offset;
  }

  /** The UTF-8 bytes of `ids` (a view of a reused buffer, valid until the next call). Unknown ids and those `skip` marks are left out. */
  bytesOf(ids: ArrayLike<number>, skip: Uint8Array | null): Uint8Array {
    const { offsets, pool, present } = this;
    let buffer = this.buffer;
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < present.length) || present[id] !== 1 || (skip !== null && skip[id] === 1)) continue;
      const start = offsets[id]!;
      const end = offsets[id + 1]!;
      if (length + end - start > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, length + end - start));
        grown.set(buffer.subarray(0, length));
        this.buffer = buffer = grown;
      }
      for (let j = start; j < end; j++) buffer[length++] = pool[j]!;
    }
    return buffer.subarray(0, length);
  }
}

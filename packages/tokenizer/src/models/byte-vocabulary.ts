import { CHAR_TO_BYTE } from '../text/byte-level.js';

/**
 * A byte-level vocabulary looked up by a token's bytes: the pre-token's UTF-8, written into a
 * reused buffer, finds its token without building the "Ġhello" spelling or any string at all.
 * Most pre-tokens of real text are one token, so this lookup is the common path of encode.
 *
 * Open addressing over typed arrays: each slot holds an id; the token's bytes sit in one pool.
 */
export class ByteVocabulary {
  private readonly mask: number;
  private readonly slots: Int32Array;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  private readonly pool: Uint8Array;

  /** `vocab`: byte-level token strings → ids. Tokens with characters outside the byte map (added tokens) are left out. */
  constructor(vocab: ReadonlyMap<string, number>) {
    let maxId = 0;
    let poolSize = 0;
    for (const [token, id] of vocab) {
      maxId = Math.max(maxId, id);
      poolSize += token.length; // one byte per byte-level character
    }
    this.offsets = new Int32Array(maxId + 1).fill(-1);
    this.lengths = new Int32Array(maxId + 1);
    this.pool = new Uint8Array(poolSize);
    let capacity = 16;
    while (capacity < vocab.size * 2) capacity *= 2; // load factor ≤ 0.5
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity).fill(-1);
    let offset = 0;
    tokens: for (const [token, id] of vocab) {
      for (let i = 0; i < token.length; i++) {
        const byte = CHAR_TO_BYTE.get(token[i]!);
        if (byte === undefined) continue tokens;
        this.pool[offset + i] = byte;
      }
      if (this.offsets[id] !== -1) continue; // two strings for one id: keep the first
      this.offsets[id] = offset;
      this.lengths[id] = token.length;
      let slot = hashBytes(this.pool, offset, token.length) & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = id;
      offset += token.length;
    }
  }

  /** The id of the token whose bytes are `bytes[0..length)`, or -1. */
  find(bytes: Uint8Array, length: number): number {
    let slot = hashBytes(bytes, 0, length) & this.mask;
    const pool = this.pool;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === -1) return -1;
      if (this.lengths[id] === length) {
        const offset = this.offsets[id]!;
        let same = true;
        for (let i = 0; i < length; i++) {
          if (pool[offset + i] !== bytes[i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}

function hashBytes(bytes: Uint8Array, offset: number, length: number): number {
  let hash = 0x811c9dc5 ^ length;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[offset + i]!, 0x01000193);
  return (hash ^ (hash >>> 15)) >>> 0;
}

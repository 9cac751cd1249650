/**
 * An open-addressing hash map from a pair of token ids (left, right) to the pair's merge rank and
 * the id of the merged token. BPE does millions of pair look-ups; a JS Map would need a string
 * or a non-SMI number key (`left * vocabSize + right` overflows 2^31 for 150k vocabularies),
 * both of which allocate or hash slowly. Linear probing over typed arrays does neither.
 */
export class PairTable {
  private readonly mask: number;
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  private readonly ranks: Int32Array;
  private readonly results: Int32Array;
  size = 0;

  constructor(expectedPairs: number) {
    let capacity = 16;
    while (capacity < expectedPairs * 1.5) capacity *= 2; // load factor ≤ 2/3: short probes, half the memory of ≤ 1/2
    this.mask = capacity - 1;
    this.lefts = new Int32Array(capacity).fill(-1);
    this.rights = new Int32Array(capacity);
    this.ranks = new Int32Array(capacity);
    this.results = new Int32Array(capacity);
  }

  /** Sets (or overwrites, as the Rust crate's HashMap does for duplicate merges) the pair's entry. */
  set(left: number, right: number, rank: number, result: number): void {
    let slot = hash(left, right) & this.mask;
    while (this.lefts[slot] !== -1) {
      if (this.lefts[slot] === left && this.rights[slot] === right) break;
      slot = (slot + 1) & this.mask;
    }
    if (this.lefts[slot] === -1) this.size++;
    this.lefts[slot] = left;
    this.rights[slot] = right;
    this.ranks[slot] = rank;
    this.results[slot] = result;
  }

  /** The slot of the pair, or -1 when the pair never merges. */
  find(left: number, right: number): number {
    let slot = hash(left, right) & this.mask;
    for (;;) {
      const stored = this.lefts[slot]!;
      if (stored === -1) return -1;
      if (stored === left && this.rights[slot] === right) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  rankAt(slot: number): number {
    return this.ranks[slot]!;
  }

  resultAt(slot: number): number {
    return this.results[slot]!;
  }
}

function hash(left: number, right: number): number {
  const mixed = Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b);
  return (mixed ^ (mixed >>> 15)) >>> 0;
}

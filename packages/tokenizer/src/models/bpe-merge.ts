import type { PairTable } from './pair-table.js';

/**
 * Applies BPE merges to a word's symbols in place: repeatedly merges the adjacent pair with the
 * lowest rank, leftmost first on ties (the order of the Rust crate's priority queue).
 * `symbols[0..length)` holds token ids; returns the new length.
 *
 * Short words (almost all) use a linear scan over cached pair ranks; long ones (SentencePiece
 * spans without a pre-tokenizer can be a whole paragraph) a binary heap, O(n log n).
 */
const SCAN_LIMIT = 48;
const NO_MERGE = 0x7fffffff;

let next = new Int32Array(256);
let previous = new Int32Array(256);
let pairRank = new Int32Array(256);
let pairResult = new Int32Array(256);

export function mergeSymbols(symbols: Int32Array, length: number, pairs: PairTable): number {
  if (length < 2) return length;
  if (next.length < length) {
    const size = 1 << Math.ceil(Math.log2(length));
    next = new Int32Array(size);
    previous = new Int32Array(size);
    pairRank = new Int32Array(size);
    pairResult = new Int32Array(size);
  }
  for (let i = 0; i < length; i++) {
    next[i] = i + 1;
    previous[i] = i - 1;
    updatePair(symbols, i, i + 1 < length ? i + 1 : -1, pairs);
  }
  next[length - 1] = -1;
  if (length <= SCAN_LIMIT) mergeByScan(symbols, pairs);
  else mergeByHeap(symbols, length, pairs);
  let written = 0;
  for (let i = 0; i !== -1; i = next[i]!) symbols[written++] = symbols[i]!;
  return written;
}

function updatePair(symbols: Int32Array, at: number, right: number, pairs: PairTable): void {
  const slot = right === -1 ? -1 : pairs.find(symbols[at]!, symbols[right]!);
  pairRank[at] = slot === -1 ? NO_MERGE : pairs.rankAt(slot);
  pairResult[at] = slot === -1 ? -1 : pairs.resultAt(slot);
}

/** Merges the pair starting at `at` with its right neighbour and refreshes the two pairs it touches. */
function mergeAt(symbols: Int32Array, at: number, pairs: PairTable): void {
  const right = next[at]!;
  symbols[at] = pairResult[at]!;
  const after = next[right]!;
  next[at] = after;
  if (after !== -1) previous[after] = at;
  updatePair(symbols, at, after, pairs);
  const before = previous[at]!;
  if (before !== -1) updatePair(symbols, before, at, pairs);
}

function mergeByScan(symbols: Int32Array, pairs: PairTable): void {
  for (;;) {
    let best = -1;
    let bestRank = NO_MERGE;
    for (let i = 0; i !== -1; i = next[i]!) {
      if (pairRank[i]! < bestRank) {
        bestRank = pairRank[i]!;
        best = i;
      }
    }
    if (best === -1) return;
    mergeAt(symbols, best, pairs);
  }
}

// Heap of rank * 2^26 + position: ordered by rank, then position. A popped entry is stale unless
// the pair at its position still has that rank (ranks are unique per pair, so this identifies it).
const POSITION_BITS = 2 ** 26;

// Reused across words: a long word allocates nothing.
let heap = new Float64Array(256);
let heapSize = 0;
let alive = new Uint8Array(256);

function mergeByHeap(symbols: Int32Array, length: number, pairs: PairTable): void {
  if (length >= POSITION_BITS) throw new RangeError(`BPE word of ${length} symbols is longer than ${POSITION_BITS}`);
  if (heap.length < length * 3) heap = new Float64Array(length * 3);
  if (alive.length < length) alive = new Uint8Array(length * 2);
  alive.fill(1, 0, length);
  heapSize = 0;
  for (let i = 0; i < length; i++) if (pairRank[i] !== NO_MERGE) push(pairRank[i]! * POSITION_BITS + i);
  while (heapSize > 0) {
    const key = pop();
    const at = key % POSITION_BITS;
    const rank = (key - at) / POSITION_BITS;
    if (alive[at] === 0 || pairRank[at] !== rank) continue;
    alive[next[at]!] = 0;
    mergeAt(symbols, at, pairs);
    if (pairRank[at] !== NO_MERGE) push(pairRank[at]! * POSITION_BITS + at);
    const before = previous[at]!;
    if (before !== -1 && pairRank[before] !== NO_MERGE) push(pairRank[before]! * POSITION_BITS + before);
  }
}

function push(value: number): void {
  // Each merge pushes at most two entries and removes one symbol: 3 per symbol bounds the heap.
  if (heapSize === heap.length) {
    const grown = new Float64Array(heap.length * 2);
    grown.set(heap);
    heap = grown;
  }
  let index = heapSize++;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[index] = heap[parent]!;
    index = parent;
  }
  heap[index] = value;
}

function pop(): number {
  const top = heap[0]!;
  const last = heap[--heapSize]!;
  if (heapSize === 0) return top;
  let index = 0;
  for (;;) {
    let child = 2 * index + 1;
    if (child >= heapSize) break;
    if (child + 1 < heapSize && heap[child + 1]! < heap[child]!) child++;
    if (heap[child]! >= last) break;
    heap[index] = heap[child]!;
    index = child;
  }
  heap[index] = last;
  return top;
}

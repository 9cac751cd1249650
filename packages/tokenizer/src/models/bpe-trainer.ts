/**
 * Learns BPE merges from counted words, the algorithm of Hugging Face's `BpeTrainer`:
 * repeatedly merge the most frequent adjacent pair (ties: the pair of smallest ids), until the
 * vocabulary has the asked size or no pair is left.
 *
 * Pair counts are updated incrementally: a merge rescans only the words that contain the pair
 * (an index from pair to words), applying each word's before/after pair difference times the
 * word's count. The best pair comes from a max-heap with lazy invalidation: an entry whose count
 * went stale is re-pushed with the current count when it surfaces, as in the Rust crate.
 */
export interface MergeLearningInput {
  /** Each distinct word as its initial symbol ids (one per byte for byte-level BPE), with its count. */
  words: readonly (readonly number[])[];
  counts: readonly number[];
  /** Initial vocabulary: token strings by id (special tokens, then the alphabet). */
  tokens: readonly string[];
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged. */
  minFrequency: number;
}

export interface LearnedMerges {
  /** All tokens by id: the initial ones, then one per new merged string. */
  tokens: string[];
  /** Merges in rank order, as token id pairs. */
  merges: Array<[left: number, right: number]>;
}

// A pair of ids as one number: left * 2^21 + right, ordered like the pair (left, then right).
const ID_LIMIT = 2 ** 21;
const pairKey = (left: number, right: number) => left * ID_LIMIT + right;

export function learnMerges(input: MergeLearningInput): LearnedMerges {
  if (input.vocabSize >= ID_LIMIT) throw new RangeError(`vocabSize ${input.vocabSize} is over the trainer's limit of ${ID_LIMIT - 1}`);
  const tokens = [...input.tokens];
  const idOf = new Map(tokens.map((token, id) => [token, id]));
  const words = input.words.map((word) => [...word]);
  const counts = input.counts;
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();

  words.forEach((word, index) => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i]!, word[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[index]!);
      let holders = pairWords.get(key);
      if (holders === undefined) pairWords.set(key, (holders = new Set()));
      holders.add(index);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) if (count > 0) heap.push(count, key);

  const merges: Array<[number, number]> = [];
  const delta = new Map<number, number>();
  while (idOf.size < input.vocabSize && heap.size > 0) {
    const count = heap.topCount();
    const key = heap.pop();
    const current = pairCounts.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key); // stale: retry with the count it has now
      continue;
    }
    if (count < Math.max(1, input.minFrequency)) break;
    const left = Math.floor(key / ID_LIMIT);
    const right = key - left * ID_LIMIT;
    const merged = tokens[left]! + tokens[right]!;
    // Two merges can spell the same string ((a, bc) and (ab, c)): they share its id, as in the Rust crate.
    let mergedId = idOf.get(merged);
    if (mergedId === undefined) {
      mergedId = tokens.length;
      tokens.push(merged);
      idOf.set(merged, mergedId);
    }
    merges.push([left, right]);

    delta.clear();
    for (const index of pairWords.get(key) ?? []) {
      const word = words[index]!;
      if (!mergeInWord(word, left, right, mergedId, counts[index]!, delta)) continue;
      for (let i = 0; i + 1 < word.length; i++) {
        const pair = pairKey(word[i]!, word[i + 1]!);
        if (word[i] !== mergedId && word[i + 1] !== mergedId) continue;
        let holders = pairWords.get(pair);
        if (holders === undefined) pairWords.set(pair, (holders = new Set()));
        holders.add(index);
      }
    }
    pairWords.delete(key);
    for (const [pair, change] of delta) {
      if (change === 0) continue;
      const updated = (pairCounts.get(pair) ?? 0) + change;
      if (updated === 0) pairCounts.delete(pair);
      else pairCounts.set(pair, updated);
      if (change > 0) heap.push(updated, pair);
    }
  }
  return { tokens, merges };
}

/**
 * Merges every (left, right) in a word, left to right and without overlap ("a a a" → "aa a"), and
 * adds the word's pair-count changes, times its count, to `delta`. Returns false if nothing merged.
 */
function mergeInWord(word: number[], left: number, right: number, mergedId: number, count: number, delta: Map<number, number>): boolean {
  let found = false;
  for (let i = 0; i + 1 < word.length; i++) {
    if (word[i] === left && word[i + 1] === right) {
      found = true;
      break;
    }
  }
  if (!found) return false;
  addPairs(word, -count, delta);
  let written = 0;
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
      word[written++] = mergedId;
      i++;
    } else word[written++] = word[i]!;
  }
  word.length = written;
  addPairs(word, count, delta);
  return true;
}

function addPairs(word: readonly number[], amount: number, delta: Map<number, number>): void {
  for (let i = 0; i + 1 < word.length; i++) {
    const key = pairKey(word[i]!, word[i + 1]!);
    delta.set(key, (delta.get(key) ?? 0) + amount);
  }
}

/** Max-heap of (count, pair key): highest count first, then the smallest pair. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  topCount(): number {
    return this.counts[0]!;
  }

  push(count: number, key: number): void {
    let index = this.keys.length;
    this.counts.push(count);
    this.keys.push(key);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(count, key, this.counts[parent]!, this.keys[parent]!)) break;
      this.counts[index] = this.counts[parent]!;
      this.keys[index] = this.keys[parent]!;
      index = parent;
    }
    this.counts[index] = count;
    this.keys[index] = key;
  }

  /** Removes the top entry and returns its pair key. */
  pop(): number {
    const top = this.keys[0]!;
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    const length = this.keys.length;
    if (length === 0) return top;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && this.before(this.counts[child + 1]!, this.keys[child + 1]!, this.counts[child]!, this.keys[child]!)) child++;
      if (!this.before(this.counts[child]!, this.keys[child]!, lastCount, lastKey)) break;
      this.counts[index] = this.counts[child]!;
      this.keys[index] = this.keys[child]!;
      index = child;
    }
    this.counts[index] = lastCount;
    this.keys[index] = lastKey;
    return top;
  }

  private before(countA: number, keyA: number, countB: number, keyB: number): boolean {
    return countA > countB || (countA === countB && keyA < keyB);
  }
}

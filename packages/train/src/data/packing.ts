import { IGNORE_INDEX } from '../model/training-batch.js';
import type { TokenizedExample } from './training-example.js';

/** One packed row of T tokens. */
export interface PackedRow {
  ids: Int32Array; // [T]
  targets: Int32Array; // [T] −100 where nothing is learned
  positions: Int32Array; // [T] restarting at 0 for each sample
  segmentIds: Int32Array; // [T] one contiguous run per sample; the padding is a segment of its own
}

export interface PackingOptions {
  sequenceLength: number;
  /** Token id written into the padding (never learned, never attended to by a sample). */
  padId: number;
}

/**
 * Packs samples into rows of `sequenceLength` tokens, in order, starting a new row when the next
 * sample does not fit (no sample is split across rows; a sample longer than a row is truncated to
 * it). Inside a row each sample is its own segment, so with `segmentIds` the attention mask is
 * block-diagonal causal and no sample sees another. Target i is token i + 1 of the same sample when
 * the loss mask marks that token, else −100; the last token of a sample predicts nothing.
 */
export function packExamples(examples: readonly TokenizedExample[], { sequenceLength: T, padId }: PackingOptions): PackedRow[] {
  const rows: PackedRow[] = [];
  let row: PackedRow | undefined;
  let used = 0;
  let segment = 0;
  const finish = () => {
    if (!row) return;
    row.ids.fill(padId, used);
    row.targets.fill(IGNORE_INDEX, used);
    row.segmentIds.fill(segment, used);
    for (let t = used; t < T; t++) row.positions[t] = t - used;
    rows.push(row);
    row = undefined;
  };
  for (const example of examples) {
    const length = Math.min(example.ids.length, T);
    if (length === 0) continue;
    if (row && used + length > T) finish();
    if (!row) {
      row = { ids: new Int32Array(T), targets: new Int32Array(T), positions: new Int32Array(T), segmentIds: new Int32Array(T) };
      used = 0;
      segment = 0;
    }
    for (let i = 0; i < length; i++) {
      const t = used + i;
      row.ids[t] = example.ids[i]!;
      row.targets[t] = i + 1 < length && example.lossMask[i + 1] ? example.ids[i + 1]! : IGNORE_INDEX;
      row.positions[t] = i;
      row.segmentIds[t] = segment;
    }
    used += length;
    segment++;
  }
  finish();
  return rows;
}

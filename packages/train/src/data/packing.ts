import { IGNORE_INDEX } from '../model/training-batch.js';
import { TrainingInputError } from '../errors.js';
import { NothingToLearnError, OVERLONG_POLICIES, type OverlongFixNames, type OverlongPolicy, type PackingStats } from './packing-stats.js';
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
  /**
   * What happens to a sample longer than `sequenceLength`. Default 'drop': a cut chat loses its
   * end-of-turn token (and often the whole answer), so a model trained on it never learns to stop;
   * dropping keeps every trained sample whole (Axolotl's default). 'truncate' keeps the first
   * `sequenceLength` tokens (TRL's `truncation_mode="keep_start"`). Either way `stats` counts it.
   */
  overlong?: OverlongPolicy;
  /** Names the data in errors ('train split', 'dataset'). Default 'data'. */
  subject?: string;
  /** How the caller spells the fixes in the NothingToLearnError hint (the CLI's flags). */
  names?: OverlongFixNames;
}

/** Packed rows and what packing did to the samples (see `describeOverlong` for the warning to show). */
export interface PackedDataset {
  rows: PackedRow[];
  stats: PackingStats;
}

/** Tokens per packed row at most: far past any context a model trains on here; a row is allocated at this length. */
const MAX_SEQUENCE_LENGTH = 1 << 20;

/**
 * Packs samples into rows of `sequenceLength` tokens, in order, starting a new row when the next
 * sample does not fit (no sample is split across rows). A sample longer than a row is dropped or
 * truncated by `options.overlong`, and counted in `stats`; a truncated sample that keeps no learned
 * token is dropped too (it would only cost compute). Inside a row each sample is its own segment,
 * so with `segmentIds` the attention mask is block-diagonal causal and no sample sees another.
 * Target i is token i + 1 of the same sample when the loss mask marks that token, else −100; the
 * last token of a sample predicts nothing.
 *
 * Throws NothingToLearnError when samples were given but no learned token is left in the rows.
 */
export function packExamples(examples: readonly TokenizedExample[], options: PackingOptions): PackedDataset {
  const { sequenceLength: T, padId, overlong = 'drop', subject = 'data' } = options;
  if (!Number.isInteger(T) || T < 2 || T > MAX_SEQUENCE_LENGTH) {
    throw new TrainingInputError('sequenceLength', `an integer from 2 to ${MAX_SEQUENCE_LENGTH}`, String(T), 'a row needs at least a token and its target, and is allocated whole');
  }
  if (!Number.isInteger(padId) || padId < 0) throw new TrainingInputError('padId', 'a token id (an integer ≥ 0)', String(padId), "use the tokenizer's eos or pad token id");
  if (!OVERLONG_POLICIES.includes(overlong)) throw new TrainingInputError('overlong', OVERLONG_POLICIES.map((policy) => `'${policy}'`).join(' or '), `'${String(overlong)}'`, "drop over-long samples (the default) or truncate them");
  const stats: PackingStats = {
    policy: overlong, sequenceLength: T, samples: 0, packedSamples: 0, rows: 0, learnedTokens: 0,
    overlongSamples: 0, truncatedSamples: 0, droppedSamples: 0, droppedTokens: 0, droppedLearnedTokens: 0,
    samplesWithoutLearnedTokens: 0, longestSample: 0,
  };
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
    if (example.ids.length === 0) continue;
    stats.samples++;
    stats.longestSample = Math.max(stats.longestSample, example.ids.length);
    // A token i ≥ 1 with lossMask[i] = 1 is the target of position i − 1: kept iff i < length.
    const learnedWithin = (length: number) => countLearned(example.lossMask, length);
    let length = example.ids.length;
    if (length > T) {
      const learnedInside = learnedWithin(T);
      const learned = learnedWithin(example.ids.length);
      stats.overlongSamples++;
      if (learnedInside === 0 && learned > 0) stats.samplesWithoutLearnedTokens++;
      if (overlong === 'drop' || learnedInside === 0) {
        stats.droppedSamples++;
        stats.droppedTokens += example.ids.length;
        stats.droppedLearnedTokens += learned;
        continue;
      }
      stats.truncatedSamples++;
      stats.droppedTokens += example.ids.length - T;
      stats.droppedLearnedTokens += learned - learnedInside;
      length = T;
    }
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
    stats.learnedTokens += learnedWithin(length);
    stats.packedSamples++;
    used += length;
    segment++;
  }
  finish();
  stats.rows = rows.length;
  if (stats.samples > 0 && stats.learnedTokens === 0) throw new NothingToLearnError(subject, stats, options.names);
  return { rows, stats };
}

function countLearned(lossMask: readonly number[], length: number): number {
  let count = 0;
  for (let i = 1; i < Math.min(length, lossMask.length); i++) if (lossMask[i]) count++;
  return count;
}

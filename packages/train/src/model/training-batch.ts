import { TrainingInputError } from '../errors.js';

/** The PyTorch / Hugging Face ignore index: a target of −100 adds nothing to the loss. */
export const IGNORE_INDEX = -100;

/**
 * One micro-batch of B sequences of T tokens, row-major [B, T]. Targets are already shifted (the
 * target of token t is token t + 1 of its sample); −100 (or any id outside the vocabulary) is
 * ignored. Packed rows carry `segmentIds` (one contiguous run per sample, e.g. 0 0 0 1 1 2 2 2) and
 * positions that restart at each sample, so no sample attends to another.
 */
export interface TrainingBatch {
  batchSize: number;
  sequenceLength: number;
  ids: Int32Array; // [B, T]
  targets: Int32Array; // [B, T]
  /** Default: 0..T−1 in every row. */
  positions?: Int32Array; // [B, T]
  /** Default: one sample per row. */
  segmentIds?: Int32Array; // [B, T]
}

export function checkBatch(batch: TrainingBatch, vocabSize: number): void {
  const { batchSize: B, sequenceLength: T } = batch;
  if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1) {
    throw new TrainingInputError('batch', 'positive integer batchSize and sequenceLength', `${B} × ${T}`, 'pass the [B, T] shape of the token arrays');
  }
  const arrays = { ids: batch.ids, targets: batch.targets, positions: batch.positions, segmentIds: batch.segmentIds };
  for (const [name, array] of Object.entries(arrays)) {
    if (array !== undefined && array.length !== B * T) {
      throw new TrainingInputError(`batch.${name}`, `${B * T} values (B = ${B} × T = ${T})`, `${array.length}`, 'pad every row to the same length, or use the packer');
    }
  }
  for (const id of batch.ids) {
    if (id < 0 || id >= vocabSize) throw new TrainingInputError('batch.ids', `token ids in [0, ${vocabSize})`, String(id), 'tokenize with the model\'s own tokenizer; pad with a real token id and target −100');
  }
}

export function defaultPositions(B: number, T: number): Int32Array {
  return Int32Array.from({ length: B * T }, (_, index) => index % T);
}

/** Counts the targets that contribute to the loss (inside the vocabulary). */
export function countedTargets(batch: TrainingBatch, vocabSize: number): number {
  let count = 0;
  for (const target of batch.targets) if (target >= 0 && target < vocabSize) count++;
  return count;
}

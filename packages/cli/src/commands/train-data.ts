/**
 * `cria train`'s data: the seeded held-out split, packing of both splits with the --overlong policy,
 * and the warnings packing owes the user (what was dropped or cut, before training starts).
 */
import { SeededRandom } from '@cria/runtime';
import {
  describeOverlong, NothingToLearnError, packExamples, type OverlongFixNames, type OverlongPolicy, type PackedDataset, type PackedRow, type PackingStats,
  type TokenizedExample, type TrainingBatch,
} from '@cria/train';

/** The flags that fix what packing reports, named in its warnings and errors. */
export const CLI_FIX_NAMES: OverlongFixNames = { sequenceLength: '--seq-len', policy: (policy) => `--overlong ${policy}` };

export interface TrainingData {
  train: PackedDataset;
  /** Held-out rows in batches (empty when nothing is held out or nothing held out is left). */
  evalBatches: TrainingBatch[];
  heldOut: number;
  evaluation: PackingStats | undefined;
  /** Lines to print before training: what packing dropped or truncated in each split. */
  warnings: string[];
}

export interface DataSettings {
  sequenceLength: number;
  overlong: OverlongPolicy;
  evalSplit: number;
  batchSize: number;
  seed: number;
  padId: number;
}

export function prepareTrainingData(examples: readonly TokenizedExample[], settings: DataSettings): TrainingData {
  const { train, evaluation } = splitExamples(examples, settings.evalSplit, settings.seed);
  const options = { sequenceLength: settings.sequenceLength, padId: settings.padId, overlong: settings.overlong, names: CLI_FIX_NAMES };
  const packedTrain = packExamples(train, { ...options, subject: '--data (training split)' });
  let packedEvaluation: PackedDataset | undefined;
  const warnings: string[] = [];
  if (evaluation.length > 0) {
    try {
      packedEvaluation = packExamples(evaluation, { ...options, subject: 'held-out split' });
    } catch (error) {
      // An unusable held-out split should not stop training: say so, and train without evaluation.
      if (!(error instanceof NothingToLearnError)) throw error;
      packedEvaluation = { rows: [], stats: error.stats };
      warnings.push(`warning: no held-out example is left to evaluate (${error.message}); training without eval_loss`);
    }
  }
  const trainWarning = describeOverlong(packedTrain.stats, CLI_FIX_NAMES);
  if (trainWarning) warnings.unshift(`warning: training split: ${trainWarning}`);
  const evalWarning = packedEvaluation && packedEvaluation.rows.length > 0 ? describeOverlong(packedEvaluation.stats, CLI_FIX_NAMES) : undefined;
  if (evalWarning) warnings.push(`warning: held-out split: ${evalWarning}`);
  return {
    train: packedTrain,
    evalBatches: toBatches(packedEvaluation?.rows ?? [], settings.batchSize),
    heldOut: evaluation.length,
    evaluation: packedEvaluation?.stats,
    warnings,
  };
}

/** A seeded shuffle, then the first `fraction` of the examples (at least one when any is asked for and two exist) are held out. */
export function splitExamples<T>(examples: readonly T[], fraction: number, seed: number): { train: T[]; evaluation: T[] } {
  const random = new SeededRandom(seed ^ 0x5eed);
  const order = examples.map((_, index) => index);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const held = fraction > 0 && examples.length >= 2 ? Math.max(1, Math.floor(examples.length * fraction)) : 0;
  return { evaluation: order.slice(0, held).map((i) => examples[i]!), train: order.slice(held).map((i) => examples[i]!) };
}

/** Packed rows as batches of at most `size` rows, in order (evaluation needs no shuffling and keeps the last partial batch). */
function toBatches(rows: readonly PackedRow[], size: number): TrainingBatch[] {
  const batches: TrainingBatch[] = [];
  for (let begin = 0; begin < rows.length; begin += size) {
    const part = rows.slice(begin, begin + size);
    const T = part[0]!.ids.length;
    const concat = (key: 'ids' | 'targets' | 'positions' | 'segmentIds') => {
      const out = new Int32Array(part.length * T);
      part.forEach((row, index) => out.set(row[key], index * T));
      return out;
    };
    batches.push({ batchSize: part.length, sequenceLength: T, ids: concat('ids'), targets: concat('targets'), positions: concat('positions'), segmentIds: concat('segmentIds') });
  }
  return batches;
}

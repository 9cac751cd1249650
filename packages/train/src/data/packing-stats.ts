import { TrainingInputError } from '../errors.js';

/** What packing does with a sample longer than the sequence length. */
export type OverlongPolicy = 'drop' | 'truncate';
export const OVERLONG_POLICIES: readonly OverlongPolicy[] = ['drop', 'truncate'];

/**
 * What packing did to a set of samples. A "learned token" is one the loss mask marks (a completion
 * or assistant-turn token, end-of-turn included) that some position predicts, i.e. not the first.
 */
export interface PackingStats {
  policy: OverlongPolicy;
  sequenceLength: number;
  /** Non-empty samples given. */
  samples: number;
  /** Samples in the rows (whole or truncated). */
  packedSamples: number;
  rows: number;
  /** Learned tokens in the rows: the targets the loss counts. */
  learnedTokens: number;
  /** Samples longer than the sequence length. */
  overlongSamples: number;
  /** Over-long samples packed as their first `sequenceLength` tokens (their end, end-of-turn token included, is cut). */
  truncatedSamples: number;
  /** Over-long samples in no row ('drop', or truncated to no learned token). */
  droppedSamples: number;
  /** Tokens of the given samples that are in no row. */
  droppedTokens: number;
  /** Of those, learned tokens. */
  droppedLearnedTokens: number;
  /** Over-long samples with no learned token in their first `sequenceLength` tokens: truncation leaves them nothing to learn. */
  samplesWithoutLearnedTokens: number;
  /** Tokens in the longest sample: the sequence length that packs every sample whole. */
  longestSample: number;
}

/** How the caller's interface spells the two fixes, for `describeOverlong` and the error hint. */
export interface OverlongFixNames {
  /** Default 'the sequence length'; the CLI says '--seq-len'. */
  sequenceLength?: string;
  /** Turns the policy into the option to pass: default `overlong: 'truncate'`; the CLI says `--overlong truncate`. */
  policy?: (policy: OverlongPolicy) => string;
}

const plural = (count: number, word: string) => `${count.toLocaleString('en')} ${word}${count === 1 ? '' : 's'}`;

/**
 * The warning to show before training when packing dropped or cut anything, else undefined. Never
 * silent: every caller (CLI, worker, demo) prints this line.
 */
export function describeOverlong(stats: PackingStats, names: OverlongFixNames = {}): string | undefined {
  if (stats.overlongSamples === 0) return undefined;
  const sequenceLength = names.sequenceLength ?? 'the sequence length';
  const policy = names.policy ?? ((value: OverlongPolicy) => `overlong: '${value}'`);
  const head = `${plural(stats.overlongSamples, 'sample')} of ${stats.samples.toLocaleString('en')} ${stats.overlongSamples === 1 ? 'is' : 'are'} longer than ${stats.sequenceLength} tokens (longest: ${stats.longestSample})`;
  const lost = `${plural(stats.droppedTokens, 'token')} (${stats.droppedLearnedTokens.toLocaleString('en')} learned) are not trained on`;
  const raise = `raise ${sequenceLength} to ${stats.longestSample} to train on every sample whole`;
  if (stats.policy === 'drop') {
    return `${head} and ${stats.overlongSamples === 1 ? 'was' : 'were'} dropped: ${lost}. To keep them, ${raise}, or pass ${policy('truncate')} (their ends are then cut, end-of-turn token included).`;
  }
  const empty = stats.droppedSamples > 0 ? `; ${plural(stats.droppedSamples, 'sample')} kept no learned token and ${stats.droppedSamples === 1 ? 'was' : 'were'} dropped` : '';
  return (
    `${head}: ${plural(stats.truncatedSamples, 'sample')} ${stats.truncatedSamples === 1 ? 'was' : 'were'} truncated to the first ${stats.sequenceLength} tokens, ` +
    `losing the end-of-turn token, so the model does not learn where those answers stop${empty}; ${lost}. ${raise[0]!.toUpperCase()}${raise.slice(1)}, or pass ${policy('drop')} to train only on whole samples.`
  );
}

/** No learned token is left after packing: training would run on nothing. */
export class NothingToLearnError extends TrainingInputError {
  constructor(
    subject: string,
    readonly stats: PackingStats,
    names: OverlongFixNames = {},
  ) {
    const everyOverlong = stats.overlongSamples > 0;
    super(
      subject,
      `samples with learned tokens within ${stats.sequenceLength} tokens`,
      everyOverlong
        ? `none: ${stats.overlongSamples} of ${stats.samples} samples are longer (longest: ${stats.longestSample}) and ${stats.policy === 'drop' ? 'were dropped' : 'keep no learned token when truncated'}`
        : `none: the loss mask of all ${stats.samples} samples marks no token to learn`,
      everyOverlong
        ? `raise ${names.sequenceLength ?? 'the sequence length'} to ${stats.longestSample}` +
            (stats.policy === 'drop' && stats.samplesWithoutLearnedTokens < stats.overlongSamples ? `, or pass ${(names.policy ?? ((value) => `overlong: '${value}'`))('truncate')}` : '') +
            ', or shorten the samples'
        : 'give prompt/completion pairs with a non-empty completion, or chats with an assistant turn',
    );
    this.name = 'NothingToLearnError';
  }
}

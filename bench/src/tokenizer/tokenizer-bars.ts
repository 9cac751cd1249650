import { roundSignificant } from '../measure/statistics.js';
import { verdict, type BarStatus } from '../results/bar-status.js';
import type { ResultRow } from '../results/result-types.js';
import type { TokenizerRow } from './tokenizer-suite.js';
import { VOCABULARY_LABELS } from './vocabularies.js';

/**
 * The bars, computed from the encode rows of one results file and nothing else: each is
 * the ratio of two measured MB/s, with PASS / MISS against its target, or NOT MEASURED (and why)
 * when a row it needs is missing, skipped or gave wrong ids.
 */
export interface TokenizerBar {
  bar: string;
  target: number;
  ratio: number | null;
  /** Never INCONCLUSIVE: encoding runs on one thread, so a busy second core is only noted. */
  status: BarStatus;
  detail: string;
}

interface Key {
  impl: string;
  vocabulary: string;
}

const label = (key: Key) => `${key.impl} ${VOCABULARY_LABELS[key.vocabulary] ?? key.vocabulary}`;

function encodeBar(rows: readonly ResultRow[], target: number, fast: Key, slow: Key, why: string): TokenizerBar {
  const bar = `encode MB/s: ${label(fast)} vs ${label(slow)}${why}`;
  const find = (key: Key) =>
    (rows as readonly TokenizerRow[]).find((row) => row.benchmark === 'encode' && row.impl === key.impl && row.vocabulary === key.vocabulary);
  const fastRow = find(fast);
  const slowRow = find(slow);
  for (const [key, row] of [
    [fast, fastRow],
    [slow, slowRow],
  ] as const) {
    if (!row) return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `no row for ${label(key)}` };
    if (row.mb_per_s === null) return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `${label(key)} skipped: ${row.skipped ?? 'no timing'}` };
  }
  // Cria's ids must be right (they are compared with transformers.js on the same vocabulary). A peer
  // that disagrees with the other library of its vocabulary is still what a user would run: noted.
  if (!fastRow!.check?.startsWith('ok'))
    return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `${label(fast)} gave wrong ids: ${fastRow!.check}` };
  const peerNote = slowRow!.check?.startsWith('ok') ? '' : `; ${label(slow)}: ${slowRow!.check}`;
  const ratio = fastRow!.mb_per_s! / slowRow!.mb_per_s!;
  const load = Math.max(fastRow!.other_cores ?? 0, slowRow!.other_cores ?? 0);
  const { status, note } = verdict(ratio, target, { higherIsBetter: true, load });
  return { bar, target, ratio: roundSignificant(ratio), status, detail: `${fastRow!.mb_per_s} / ${slowRow!.mb_per_s} MB/s${note}${peerNote}` };
}

export function computeTokenizerBars(rows: readonly ResultRow[]): TokenizerBar[] {
  const bars: TokenizerBar[] = [];
  for (const vocabulary of ['llama3', 'qwen3']) {
    bars.push(encodeBar(rows, 3, { impl: 'cria', vocabulary }, { impl: 'transformers.js', vocabulary }, ' (same vocabulary)'));
  }
  // tiktoken and gpt-tokenizer ship other vocabularies: the comparison is what a user would pick instead.
  for (const [impl, target] of [
    ['tiktoken', 1],
    ['gpt-tokenizer', 1.5],
  ] as const) {
    for (const vocabulary of ['llama3', 'qwen3']) {
      for (const theirs of ['cl100k_base', 'o200k_base']) bars.push(encodeBar(rows, target, { impl: 'cria', vocabulary }, { impl, vocabulary: theirs }, ''));
    }
  }
  return bars;
}

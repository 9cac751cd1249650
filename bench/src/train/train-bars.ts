import { roundSignificant } from '../measure/statistics.js';
import { verdict, type BarStatus } from '../results/bar-status.js';
import type { ResultRow } from '../results/result-types.js';
import { BENCHMARKS, type TrainRow } from './train-suite.js';

/**
 * The bars, computed from one results file and nothing else: each is the ratio of two
 * measured tokens/s with PASS / MISS, or NOT MEASURED (and which row was missing).
 */
export interface TrainBar {
  bar: string;
  target: number;
  ratio: number | null;
  /** INCONCLUSIVE when timed on a busy machine (see bar-status.ts). */
  status: BarStatus;
  detail: string;
}

function ratioBar(rows: readonly ResultRow[], benchmark: string, fast: string, slow: string, target: number, suffix = ''): TrainBar {
  const bar = `${benchmark} tokens/s: ${fast} ≥ ${target}× ${slow}${suffix}`;
  const find = (impl: string) => (rows as readonly TrainRow[]).find((row) => row.benchmark === benchmark && row.impl === impl);
  const fastRow = find(fast);
  const slowRow = find(slow);
  for (const [impl, row] of [
    [fast, fastRow],
    [slow, slowRow],
  ] as const) {
    if (!row) return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `no ${impl} row` };
    if (row.tokens_per_s === null) return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `${impl} skipped: ${row.skipped ?? 'no timing'}` };
    if (row.check !== 'ok') return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `${impl} failed its loss check: ${row.check}` };
  }
  const ratio = fastRow!.tokens_per_s! / slowRow!.tokens_per_s!;
  const load = Math.max(fastRow!.other_cores ?? 0, slowRow!.other_cores ?? 0);
  const threads = (row: TrainRow) => (row.threads === null ? '' : `, ${row.threads} thread${row.threads === 1 ? '' : 's'}`);
  const { status, note } = verdict(ratio, target, { higherIsBetter: true, load, loadSensitive: true });
  return {
    bar,
    target,
    ratio: roundSignificant(ratio),
    status,
    detail: `${fastRow!.tokens_per_s} tokens/s (${fastRow!.gflops} GFLOP/s${threads(fastRow!)}) / ${slowRow!.tokens_per_s} tokens/s (${slowRow!.gflops} GFLOP/s${threads(slowRow!)})${note}`,
  };
}

export function computeTrainBars(rows: readonly ResultRow[]): TrainBar[] {
  return [
    ratioBar(rows, BENCHMARKS.full, 'cria-wasm', 'tfjs-wasm', 5),
    ratioBar(rows, BENCHMARKS.full, 'cria-wasm', 'pytorch-cpu', 0.4),
    // Not one of the bars: the same 0.4× measured on the LoRA step, for context.
    ratioBar(rows, BENCHMARKS.lora, 'cria-wasm', 'pytorch-cpu', 0.4, ' (context, not one of the issue\'s bars)'),
  ];
}

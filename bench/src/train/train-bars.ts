import { roundSignificant } from '../measure/statistics.js';
import type { ResultRow } from '../results/result-types.js';
import { BENCHMARKS, type TrainRow } from './train-suite.js';

/**
 * The issue's bars, computed from one results file and nothing else: each is the ratio of two
 * measured tokens/s with PASS / MISS, or NOT MEASURED (and which row was missing).
 */
export interface TrainBar {
  bar: string;
  target: number;
  ratio: number | null;
  status: 'PASS' | 'MISS' | 'NOT MEASURED' | 'INCONCLUSIVE';
  detail: string;
}

/** Other processes' load worth mentioning next to a ratio (cores, mean over the steps). */
const NOTABLE_LOAD = 0.25;
/**
 * Past this load (cores, on 2), a 2-thread ratio says more about who suffers most from a stolen
 * core than about the impls (PyTorch's nanoGPT step was measured at 2.8 s with 0.64 cores taken
 * by others and 9.5 s with 1.0). The ratio is shown, not judged.
 */
const INCONCLUSIVE_LOAD = 0.5;

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
  return {
    bar,
    target,
    ratio: roundSignificant(ratio),
    status: load > INCONCLUSIVE_LOAD ? 'INCONCLUSIVE' : ratio >= target ? 'PASS' : 'MISS',
    detail: `${fastRow!.tokens_per_s} tokens/s (${fastRow!.gflops} GFLOP/s${threads(fastRow!)}) / ${slowRow!.tokens_per_s} tokens/s (${slowRow!.gflops} GFLOP/s${threads(slowRow!)})${
      load > INCONCLUSIVE_LOAD
        ? `; INCONCLUSIVE: other processes used up to ${load.toFixed(2)} of the 2 cores meanwhile (would be ${ratio >= target ? 'PASS' : 'MISS'})`
        : load >= NOTABLE_LOAD
          ? `; other processes used up to ${load.toFixed(2)} cores meanwhile`
          : ''
    }`,
  };
}

export function computeTrainBars(rows: readonly ResultRow[]): TrainBar[] {
  return [
    ratioBar(rows, BENCHMARKS.full, 'cria-wasm', 'tfjs-wasm', 5),
    ratioBar(rows, BENCHMARKS.full, 'cria-wasm', 'pytorch-cpu', 0.4),
    // Not one of the issue's bars: the same 0.4× measured on the LoRA step, for context.
    ratioBar(rows, BENCHMARKS.lora, 'cria-wasm', 'pytorch-cpu', 0.4, ' (context, not one of the issue\'s bars)'),
  ];
}

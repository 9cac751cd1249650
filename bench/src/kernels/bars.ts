import { roundSignificant } from '../measure/statistics.js';
import { verdict, type BarStatus } from '../results/bar-status.js';
import type { ResultRow } from '../results/result-types.js';

/**
 * The issue's performance bars, computed from the rows of one results file and nothing else:
 * each is a ratio of two measured medians, with PASS / MISS against its target, NOT MEASURED (and
 * why) when a row it needs was skipped, or INCONCLUSIVE when thread scaling was timed on a busy machine.
 */
export interface Bar {
  bar: string;
  /** The ratio the bar asks for, e.g. 1.3 for "≥ 1.3×". */
  target: number;
  /** Measured ratio, 3 significant digits; null when not measured. */
  ratio: number | null;
  /** INCONCLUSIVE only for thread-scaling bars timed on a busy machine (see bar-status.ts). */
  status: BarStatus;
  /** The two medians the ratio came from, or what was missing. */
  detail: string;
}

interface RowKey {
  benchmark: string;
  shape: string;
  impl: string;
  threads: number;
  dtype: string;
}

const describe = (key: RowKey) => `${key.impl} ×${key.threads} ${key.dtype} ${key.benchmark} ${key.shape}`;

function find(rows: readonly ResultRow[], key: RowKey): ResultRow | undefined {
  return rows.find(
    (row) => row.benchmark === key.benchmark && row.shape === key.shape && row.impl === key.impl && row.threads === key.threads && row.dtype === key.dtype,
  );
}

/** Speed of `fast` relative to `slow`: slow's median time / fast's. */
function speedBar(rows: readonly ResultRow[], bar: string, target: number, fast: RowKey, slow: RowKey, needsSecondCore = false): Bar {
  const fastRow = find(rows, fast);
  const slowRow = find(rows, slow);
  const missing = [
    [fast, fastRow],
    [slow, slowRow],
  ] as const;
  for (const [key, row] of missing) {
    if (!row) return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `no row for ${describe(key)}` };
    if (row.median_ms === null) return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `${describe(key)} skipped: ${row.skipped ?? 'no timing'}` };
    if (row.check !== null && row.check !== 'ok') return { bar, target, ratio: null, status: 'NOT MEASURED', detail: `${describe(key)} output wrong: ${row.check}` };
  }
  const ratio = slowRow!.median_ms! / fastRow!.median_ms!;
  const load = Math.max(fastRow!.other_cores ?? 0, slowRow!.other_cores ?? 0);
  const { status, note } = verdict(ratio, target, { higherIsBetter: true, load, loadSensitive: needsSecondCore });
  return {
    bar,
    target,
    ratio: roundSignificant(ratio),
    status,
    detail: `${slowRow!.median_ms} ms (${slow.impl} ×${slow.threads}${slow.dtype === 'f32' ? '' : ` ${slow.dtype}`}) / ${fastRow!.median_ms} ms (${fast.impl} ×${fast.threads}${fast.dtype === 'f32' ? '' : ` ${fast.dtype}`})${note}`,
  };
}

export interface BarShapes {
  /** The matmul shape of the tfjs and thread-scaling bars ("1024×1024×1024"). */
  matmul: string;
  /** The decode shape of the Q8_0 bar ("1×4096×4096"). */
  decode: string;
}

export const FULL_BAR_SHAPES: BarShapes = { matmul: '1024×1024×1024', decode: '1×4096×4096' };

export function computeBars(rows: readonly ResultRow[], shapes: BarShapes = FULL_BAR_SHAPES): Bar[] {
  const matmul = (impl: string, threads: number): RowKey => ({ benchmark: 'matmul', shape: shapes.matmul, impl, threads, dtype: 'f32' });
  const decode = (impl: string, threads: number, dtype: string): RowKey => ({ benchmark: 'decode matvec', shape: shapes.decode, impl, threads, dtype });
  const tfjs = matmul('tfjs-wasm', 1);
  return [
    speedBar(rows, `f32 matmul ${shapes.matmul}, 1 thread: Cria wasm relaxed SIMD vs tfjs-backend-wasm`, 1.3, matmul('cria-wasm-relaxed', 1), tfjs),
    speedBar(rows, `f32 matmul ${shapes.matmul}, 1 thread: Cria wasm SIMD (no relaxed) vs tfjs-backend-wasm`, 1.0, matmul('cria-wasm-simd', 1), tfjs),
    speedBar(rows, `f32 matmul ${shapes.matmul}: Cria wasm relaxed SIMD, 2 threads vs 1 thread`, 1.8, matmul('cria-wasm-relaxed', 2), matmul('cria-wasm-relaxed', 1), true),
    speedBar(rows, `f32 matmul ${shapes.matmul}: Cria wasm SIMD, 2 threads vs 1 thread`, 1.8, matmul('cria-wasm-simd', 2), matmul('cria-wasm-simd', 1), true),
    speedBar(rows, `matvec ${shapes.decode}, 1 thread: Cria wasm relaxed SIMD, Q8_0 vs f32 weights (per call)`, 2.0, decode('cria-wasm-relaxed', 1, 'q8_0'), decode('cria-wasm-relaxed', 1, 'f32')),
    speedBar(rows, `matvec ${shapes.decode}, 1 thread: Cria wasm SIMD, Q8_0 vs f32 weights (per call)`, 2.0, decode('cria-wasm-simd', 1, 'q8_0'), decode('cria-wasm-simd', 1, 'f32')),
  ];
}

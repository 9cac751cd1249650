import { roundSignificant } from '../measure/statistics.js';
import { verdict, type BarStatus } from '../results/bar-status.js';
import type { ResultRow } from '../results/result-types.js';
import type { DecodeRow } from './decode-suite.js';

/**
 * The bars per model, computed from the rows of one results file and nothing else: Cria wasm
 * decode ≥ 0.8× llama.cpp, prefill ≥ 0.5× llama.cpp (both on 2 threads, same file, same run), Cria
 * wasm peak RSS ≤ 1.3× (weights + its KV cache), and WebGPU's goal of one submit per generated token.
 */
export interface DecodeBar {
  model: string;
  bar: string;
  /** "≥ 0.8×", "≤ 1.3×", "≤ 1". */
  target: string;
  ratio: number | null;
  /** INCONCLUSIVE for speed ratios timed on a busy machine (see bar-status.ts). */
  status: BarStatus;
  detail: string;
}

/** The main run's row (the long-context phase has no bars). */
const find = (rows: readonly DecodeRow[], model: string, impl: string) => rows.find((row) => row.model === model && row.impl === impl && !row.long_context);

function speedBar(rows: readonly DecodeRow[], model: string, field: 'decode_tokens_per_s' | 'prefill_tokens_per_s', target: number): DecodeBar {
  const name = field === 'decode_tokens_per_s' ? 'decode tok/s' : 'prefill tok/s';
  const bar = { model, bar: `${name}: cria-wasm vs llama.cpp`, target: `≥ ${target}×` };
  const cria = find(rows, model, 'cria-wasm');
  const peer = find(rows, model, 'llama.cpp');
  for (const [impl, row] of [
    ['cria-wasm', cria],
    ['llama.cpp', peer],
  ] as const) {
    if (!row) return { ...bar, ratio: null, status: 'NOT MEASURED', detail: `no ${impl} row` };
    if (row[field] === null) return { ...bar, ratio: null, status: 'NOT MEASURED', detail: `${impl} skipped: ${row.skipped ?? 'no timing'}` };
  }
  const ratio = cria![field]! / peer![field]!;
  const load = Math.max(cria!.other_cores ?? 0, peer!.other_cores ?? 0);
  const { status, note } = verdict(ratio, target, { higherIsBetter: true, load, loadSensitive: true });
  return { ...bar, ratio: roundSignificant(ratio), status, detail: `${cria![field]} / ${peer![field]} tok/s${note}` };
}

function memoryBar(rows: readonly DecodeRow[], model: string, target: number): DecodeBar {
  const bar = { model, bar: 'cria-wasm peak RSS vs weights + KV cache', target: `≤ ${target}×` };
  const cria = find(rows, model, 'cria-wasm');
  if (!cria || cria.peak_rss_bytes === null || cria.kv_cache_bytes === null) return { ...bar, ratio: null, status: 'NOT MEASURED', detail: cria?.skipped ?? 'no cria-wasm row' };
  const budget = cria.weights_bytes + cria.kv_cache_bytes;
  const ratio = cria.peak_rss_bytes / budget;
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(bytes >= 10 * 2 ** 20 ? 0 : 2);
  const { status } = verdict(ratio, target, { higherIsBetter: false });
  const detail = `${mib(cria.peak_rss_bytes)} MiB / (${mib(cria.weights_bytes)} + ${mib(cria.kv_cache_bytes)}) MiB`;
  if (cria.node_floor_rss_bytes === undefined) return { ...bar, ratio: roundSignificant(ratio), status, detail };
  // The part of the peak no JavaScript runtime avoids: Node and the second thread's worker.
  const floor = cria.node_floor_rss_bytes;
  const floorRatio = roundSignificant((floor + budget) / budget);
  const above = `; Node with one worker thread and nothing loaded is ${mib(floor)} MiB (floor ${floorRatio}×), Cria's own share ${mib(cria.peak_rss_bytes - floor - budget)} MiB`;
  const unreachable = (floor + budget) / budget > target ? `; the floor alone is over ${target}×` : '';
  return { ...bar, ratio: roundSignificant(ratio), status, detail: `${detail}${above}${unreachable}` };
}

function submitBar(rows: readonly DecodeRow[], model: string): DecodeBar {
  const bar = { model, bar: 'cria-webgpu submits per generated token', target: '≤ 1' };
  const gpu = find(rows, model, 'cria-webgpu');
  if (!gpu || gpu.submits_per_token === undefined) return { ...bar, ratio: null, status: 'NOT MEASURED', detail: gpu?.skipped ?? 'no cria-webgpu row' };
  const from = gpu.skipped ? ' (from the probe: the full run was skipped)' : '';
  return { ...bar, ratio: gpu.submits_per_token, status: gpu.submits_per_token <= 1 ? 'PASS' : 'MISS', detail: `${gpu.dispatches_per_token} dispatches per token${from}` };
}

export function computeDecodeBars(rows: readonly ResultRow[]): DecodeBar[] {
  const decodeRows = rows as readonly DecodeRow[];
  const models = [...new Set(decodeRows.map((row) => row.model))];
  return models.flatMap((model) => [
    speedBar(decodeRows, model, 'decode_tokens_per_s', 0.8),
    speedBar(decodeRows, model, 'prefill_tokens_per_s', 0.5),
    memoryBar(decodeRows, model, 1.3),
    submitBar(decodeRows, model),
  ]);
}

import { describe, expect, it } from 'vitest';
import type { ResultRow } from '../results/result-types.js';
import { computeBars } from './bars.js';

function row(impl: string, threads: number, medianMs: number | null, overrides: Partial<ResultRow> = {}): ResultRow {
  return {
    suite: 'kernels',
    benchmark: 'matmul',
    impl,
    threads,
    shape: '1024×1024×1024',
    dtype: 'f32',
    median_ms: medianMs,
    min_ms: medianMs,
    runs: medianMs === null ? 0 : 5,
    gflops: null,
    gbps: null,
    other_cores: 0,
    check: medianMs === null ? null : 'ok',
    ...(medianMs === null ? { skipped: 'budget spent' } : {}),
    ...overrides,
  };
}

const decode = (impl: string, dtype: string, medianMs: number): ResultRow =>
  row(impl, 1, medianMs, { benchmark: 'decode matvec', shape: '1×4096×4096', dtype });

describe('computeBars', () => {
  const rows: ResultRow[] = [
    row('tfjs-wasm', 1, 100),
    row('cria-wasm-relaxed', 1, 70),
    row('cria-wasm-simd', 1, 110),
    row('cria-wasm-relaxed', 2, 35),
    row('cria-wasm-simd', 2, null),
    decode('cria-wasm-relaxed', 'f32', 20),
    decode('cria-wasm-relaxed', 'q8_0', 8),
    decode('cria-wasm-simd', 'f32', 20),
    decode('cria-wasm-simd', 'q8_0', 12),
  ];
  const bars = computeBars(rows);

  it('divides the slower median by the faster one and compares with the target', () => {
    expect(bars.map((bar) => [bar.ratio, bar.status])).toEqual([
      [1.43, 'PASS'], // 100 / 70 ≥ 1.3
      [0.909, 'MISS'], // 100 / 110 < 1.0
      [2, 'PASS'], // 70 / 35 ≥ 1.8
      [null, 'NOT MEASURED'],
      [2.5, 'PASS'], // 20 / 8 ≥ 2
      [1.67, 'MISS'],
    ]);
  });

  it('says where each figure came from, or which row was missing and why', () => {
    expect(bars[0]!.detail).toBe('100 ms (tfjs-wasm ×1) / 70 ms (cria-wasm-relaxed ×1)');
    expect(bars[3]!.detail).toMatch(/cria-wasm-simd ×2 f32 matmul 1024×1024×1024 skipped: budget spent/);
    expect(bars[4]!.detail).toBe('20 ms (cria-wasm-relaxed ×1) / 8 ms (cria-wasm-relaxed ×1 q8_0)');
  });

  it('mentions the load of other processes when it may have bent the ratio', () => {
    const [bar] = computeBars([row('tfjs-wasm', 1, 100), row('cria-wasm-relaxed', 1, 50, { other_cores: 0.8 })]);
    expect(bar!.detail).toBe('100 ms (tfjs-wasm ×1) / 50 ms (cria-wasm-relaxed ×1); other processes used up to 0.80 cores meanwhile');
  });

  it('does not judge thread scaling measured while another process held a core', () => {
    const busy = { other_cores: 0.9 };
    const bars = computeBars([row('cria-wasm-relaxed', 1, 40, busy), row('cria-wasm-relaxed', 2, 40, busy), row('tfjs-wasm', 1, 60, busy)]);
    expect(bars[0]!.status).toBe('PASS'); // 1-thread comparisons share the load, interleaved
    expect(bars[2]).toMatchObject({ status: 'INCONCLUSIVE', ratio: 1 });
  });

  it('does not credit a kernel whose output failed the check', () => {
    const [bar] = computeBars([row('tfjs-wasm', 1, 100), row('cria-wasm-relaxed', 1, 10, { check: 'MISMATCH: normalised error 1 > 1e-8' })]);
    expect(bar!.status).toBe('NOT MEASURED');
    expect(bar!.detail).toMatch(/output wrong/);
  });

  it('reports a missing row as not measured', () => {
    expect(computeBars([])[0]).toMatchObject({ status: 'NOT MEASURED', ratio: null });
  });
});

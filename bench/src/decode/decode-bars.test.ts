import { describe, expect, it } from 'vitest';
import { computeDecodeBars } from './decode-bars.js';
import type { DecodeRow } from './decode-suite.js';

const row = (impl: string, fields: Partial<DecodeRow>): DecodeRow =>
  ({
    suite: 'decode',
    benchmark: 'm',
    model: 'm',
    impl,
    threads: 2,
    shape: '',
    dtype: 'q4_0',
    median_ms: null,
    min_ms: null,
    runs: 3,
    gflops: null,
    gbps: null,
    other_cores: 0,
    check: null,
    prompt_tokens: 128,
    generated_tokens: 128,
    prefill_tokens_per_s: null,
    decode_tokens_per_s: null,
    prefill_ms: null,
    decode_ms: null,
    load_ms: null,
    peak_rss_bytes: null,
    rss_after_bytes: null,
    weights_bytes: 100,
    kv_cache_bytes: 10,
    ...fields,
  }) as DecodeRow;

describe('decode bars', () => {
  it('computes each ratio from the rows, with PASS / MISS / INCONCLUSIVE / NOT MEASURED', () => {
    const bars = computeDecodeBars([
      row('cria-wasm', { decode_tokens_per_s: 90, prefill_tokens_per_s: 40, peak_rss_bytes: 150, other_cores: 0.1 }),
      row('llama.cpp', { decode_tokens_per_s: 100, prefill_tokens_per_s: 100, other_cores: 0 }),
      row('cria-webgpu', { threads: null, skipped: 'too slow', submits_per_token: 1, dispatches_per_token: 483 }),
    ]);
    expect(bars.map((bar) => [bar.bar.split(':')[0], bar.ratio, bar.status])).toEqual([
      ['decode tok/s', 0.9, 'PASS'],
      ['prefill tok/s', 0.4, 'MISS'],
      ['cria-wasm peak RSS vs weights + KV cache', 1.36, 'MISS'],
      ['cria-webgpu submits per generated token', 1, 'PASS'],
    ]);
  });

  it("says the memory bar's floor: Node with its worker thread plus weights + KV, and Cria's share above it", () => {
    const MiB = 2 ** 20;
    const memory = (floor: number) =>
      computeDecodeBars([row('cria-wasm', { weights_bytes: 136 * MiB, kv_cache_bytes: 23 * MiB, peak_rss_bytes: 269 * MiB, node_floor_rss_bytes: floor * MiB })])[2]!;
    expect(memory(51)).toMatchObject({ ratio: 1.69, status: 'MISS' });
    expect(memory(51).detail).toBe(
      '269 MiB / (136 + 23) MiB; Node with one worker thread and nothing loaded is 51 MiB (floor 1.32×), Cria\'s own share 59 MiB; the floor alone is over 1.3×',
    );
    expect(memory(30).detail).toMatch(/\(floor 1\.19×\), Cria's own share 80 MiB$/);
  });

  it('marks speed ratios timed on a busy machine INCONCLUSIVE, and missing rows NOT MEASURED', () => {
    const bars = computeDecodeBars([
      row('cria-wasm', { decode_tokens_per_s: 90, prefill_tokens_per_s: 40, peak_rss_bytes: 100, other_cores: 1.1 }),
      row('llama.cpp', { skipped: 'could not start' }),
    ]);
    expect(bars.map((bar) => bar.status)).toEqual(['NOT MEASURED', 'NOT MEASURED', 'PASS', 'NOT MEASURED']);
    const busy = computeDecodeBars([row('cria-wasm', { decode_tokens_per_s: 90, prefill_tokens_per_s: 40, other_cores: 1.1 }), row('llama.cpp', { decode_tokens_per_s: 10, prefill_tokens_per_s: 10 })]);
    expect(busy[0]!.status).toBe('INCONCLUSIVE');
    expect(busy[0]!.ratio).toBe(9);
  });
});

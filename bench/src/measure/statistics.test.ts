import { describe, expect, it } from 'vitest';
import { formatSignificant, median, minimum, roundSignificant } from './statistics.js';
import { attentionFlops, gflopsPerSecond, gigabytesPerSecond, kvCacheBytes, matmulFlops, weightBytes } from './throughput.js';

describe('median', () => {
  it('takes the middle of an odd sample and the mean of the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses an empty sample', () => {
    expect(() => median([])).toThrow(/at least one call/);
    expect(() => minimum([])).toThrow(RangeError);
  });
});

describe('significant digits', () => {
  it('rounds to 3 significant digits by default', () => {
    expect(roundSignificant(12.3456)).toBe(12.3);
    expect(roundSignificant(0.0012345)).toBe(0.00123);
    expect(roundSignificant(98765)).toBe(98800);
    expect(roundSignificant(0)).toBe(0);
    expect(roundSignificant(Infinity)).toBe(Infinity);
  });

  it('formats without exponents and keeps trailing zeros that are significant', () => {
    expect(formatSignificant(1.5)).toBe('1.50');
    expect(formatSignificant(0.000123)).toBe('0.000123');
    expect(formatSignificant(12345)).toBe('12300');
    expect(formatSignificant(999.6)).toBe('1000');
    expect(formatSignificant(null)).toBe('—');
  });
});

describe('throughput', () => {
  it('counts 2·M·N·K flops for a matmul and converts ms to GFLOP/s', () => {
    expect(matmulFlops(1024, 1024, 1024)).toBe(2 * 1024 ** 3);
    // 2·1024³ flops in 100 ms = 21.47 GFLOP/s
    expect(gflopsPerSecond(matmulFlops(1024, 1024, 1024), 100)).toBeCloseTo(21.474836, 5);
  });

  it('counts visible query-key pairs for causal attention', () => {
    // decode: one query sees every key
    expect(attentionFlops({ queries: 1, keys: 512, heads: 8, headDim: 64 })).toBe(4 * 64 * 8 * 512);
    // prefill: T(T+1)/2 pairs
    expect(attentionFlops({ queries: 4, keys: 4, heads: 1, headDim: 1 })).toBe(4 * 10);
    // 2 new queries after 3 cached keys: 4 + 5 visible
    expect(attentionFlops({ queries: 2, keys: 5, heads: 1, headDim: 1 })).toBe(4 * 9);
  });

  it('sizes weights and caches in bytes', () => {
    expect(weightBytes('f32', 4096, 4096)).toBe(64 * 2 ** 20);
    expect(weightBytes('q8_0', 32, 32)).toBe(32 * 34);
    expect(weightBytes('q4_0', 32, 32)).toBe(32 * 18);
    expect(kvCacheBytes(128, 2, 64)).toBe(2 * 128 * 2 * 64 * 4);
    expect(gigabytesPerSecond(1e9, 1000)).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { permuteForInterleavedRope, reorderRopeRows } from './rope-permute.js';

describe('reorderRopeRows', () => {
  it('puts half-layout row (head, part · D/2 + i) at interleaved row (head, 2i + part), per head', () => {
    // 2 heads of D = 4, rows of 2: each row holds its own index twice. [8, 2]
    const rows = Float32Array.from({ length: 16 }, (_, e) => Math.floor(e / 2));
    const interleaved = reorderRopeRows(rows, 8, 2, 2, 'interleaved');
    expect([...interleaved].filter((_, e) => e % 2 === 0)).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    expect(interleaved).toEqual(permuteForInterleavedRope(rows, 8, 2, 2));
  });

  it('is undone by the other direction, on values and on stored bytes alike', () => {
    const values = Float32Array.from({ length: 16 * 3 }, (_, e) => e * 0.5 - 7);
    expect(reorderRopeRows(reorderRopeRows(values, 16, 3, 2, 'interleaved'), 16, 3, 2, 'half')).toEqual(values);
    const bytes = Uint8Array.from({ length: 12 * 18 }, (_, e) => e % 251);
    const back = reorderRopeRows(reorderRopeRows(bytes, 12, 18, 3, 'half'), 12, 18, 3, 'interleaved');
    expect(back).toBeInstanceOf(Uint8Array);
    expect(back).toEqual(bytes);
  });

  it('rejects heads of odd or fractional size and a weight that is not rows × rowLength', () => {
    expect(() => reorderRopeRows(new Float32Array(12 * 4), 12, 4, 4, 'half')).toThrow(/12 rows do not split into 4 heads/);
    expect(() => reorderRopeRows(new Float32Array(10 * 4), 10, 4, 4, 'half')).toThrow(RangeError);
    expect(() => reorderRopeRows(new Uint8Array(10), 4, 4, 2, 'interleaved')).toThrow(/10 elements are not 4 rows of 4/);
  });
});

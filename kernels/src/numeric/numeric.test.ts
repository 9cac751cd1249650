import { describe, expect, it } from 'vitest';
import { Random } from '../testing/random.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './half.js';
import { dequantizeQ4_0, dequantizeQ8_0, quantizeQ4_0, quantizeQ8_0 } from './quantize.js';

describe('half precision', () => {
  it('round-trips every f16 bit pattern that is not NaN', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = f16BitsToF32(bits);
      if (Number.isNaN(value)) continue;
      expect(f32ToF16Bits(value)).toBe(bits);
    }
  });

  it('rounds to nearest even and saturates to infinity', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and next: even wins
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16Bits(70000)).toBe(0x7c00);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
  });

  it('round-trips bf16 and rounds to nearest even', () => {
    for (const value of [1, -2.5, 3.140625, 1e30, -1e-30]) {
      expect(Math.abs(bf16BitsToF32(f32ToBf16Bits(value)) / value - 1)).toBeLessThan(2 ** -8);
    }
    expect(f32ToBf16Bits(3.140625)).toBe(0x4049);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN)))).toBe(true);
  });
});

describe('GGUF block quantization', () => {
  const random = new Random(7);

  it('Q8_0 reconstructs within half a step per block', () => {
    const values = random.normals(32 * 20);
    const restored = dequantizeQ8_0(quantizeQ8_0(values), values.length);
    for (let block = 0; block < 20; block++) {
      const slice = values.subarray(block * 32, block * 32 + 32);
      const step = Math.max(...slice.map(Math.abs)) / 127;
      for (let j = 0; j < 32; j++) expect(Math.abs(restored[block * 32 + j]! - slice[j]!)).toBeLessThanOrEqual(step * 0.51 + 1e-3 * step);
    }
  });

  it('Q4_0 keeps the nibble layout: element j low, j + 16 high', () => {
    const values = new Float32Array(32);
    values[0] = -8; // the largest magnitude → d = 1, maps to nibble 0
    values[16] = 7;
    values[1] = 3;
    const bytes = quantizeQ4_0(values);
    expect(bytes.length).toBe(18);
    expect(f16BitsToF32(bytes[0]! | (bytes[1]! << 8))).toBe(1);
    expect(bytes[2]).toBe(0x0 | (0xf << 4));
    expect(bytes[3]! & 0xf).toBe(11);
    expect([...dequantizeQ4_0(bytes, 32)]).toEqual([...values]);
  });

  it('rejects partial blocks', () => {
    expect(() => quantizeQ8_0(new Float32Array(31))).toThrow(/multiple of the block size 32/);
  });
});

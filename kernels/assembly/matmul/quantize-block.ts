import { horizontalMax, horizontalSumI32 } from '../common/simd';

/**
 * llama.cpp's q8_0 quantization of one 32-float activation block (d = max|x| / 127, codes
 * round(x / d)), shared by the matvec (matvec-quantized.ts) and the matmul's activation packing
 * (pack-quantized.ts), which store the codes in different layouts. All inline: the callers keep
 * the 8 loaded vectors and the i16 codes in registers.
 */

/** 1.5·2^23: adding it rounds |x| < 2^22 to the nearest integer (ties to even) in the low mantissa bits. */
const ROUNDING_MAGIC: f32 = 12582912.0;

/**
 * round(values · inverse) as i32x4, for |values · inverse| ≤ 127.5: (x + 1.5·2^23)'s bits minus the
 * magic's bits is round-to-nearest-even(x), in 3 instructions where `trunc_sat(nearest(x))` takes
 * about 10 on x64 (the saturating conversion guards NaN and overflow that cannot occur here) and
 * made quantization cost 3 cycles per value, a tenth of a SmolLM2 prefill.
 */
// @ts-ignore: decorator
@inline
export function roundToInt(values: v128, inverse: v128): v128 {
  const magic = f32x4.splat(ROUNDING_MAGIC);
  return i32x4.sub(f32x4.add(f32x4.mul(values, inverse), magic), magic);
}

/** The block's scale d = max|v0..v7| / 127 (0 for an all-zero block). */
// @ts-ignore: decorator
@inline
export function blockScale(v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128): f32 {
  const largest = f32x4.pmax(
    f32x4.pmax(f32x4.pmax(f32x4.abs(v0), f32x4.abs(v1)), f32x4.pmax(f32x4.abs(v2), f32x4.abs(v3))),
    f32x4.pmax(f32x4.pmax(f32x4.abs(v4), f32x4.abs(v5)), f32x4.pmax(f32x4.abs(v6), f32x4.abs(v7))),
  );
  return horizontalMax(largest) / 127;
}

/** 1 / d splatted, or zeros for d = 0 (the codes of an all-zero block are then 0). */
// @ts-ignore: decorator
@inline
export function inverseScale(d: f32): v128 {
  return f32x4.splat(d != 0 ? 1 / d : 0);
}

/** The 8 codes of `low` then `high` (4 floats each) as i16x8. */
// @ts-ignore: decorator
@inline
export function codesI16(low: v128, high: v128, inverse: v128): v128 {
  return i16x8.narrow_i32x4_s(roundToInt(low, inverse), roundToInt(high, inverse));
}

/** Σ of the block's 32 codes, given as four i16x8 vectors. */
// @ts-ignore: decorator
@inline
export function codeSum(w0: v128, w1: v128, w2: v128, w3: v128): i32 {
  const ones = i16x8.splat(1);
  return horizontalSumI32(
    i32x4.add(i32x4.add(i32x4.dot_i16x8_s(w0, ones), i32x4.dot_i16x8_s(w1, ones)), i32x4.add(i32x4.dot_i16x8_s(w2, ones), i32x4.dot_i16x8_s(w3, ones))),
  );
}

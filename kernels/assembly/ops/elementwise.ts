import { elementStart, min32 } from '../common/simd';

/**
 * add / mul with b broadcast over a's leading dimensions (b[i % bSize] pairs with a[i]), and scale.
 * Elementwise ops are memory-bound: one pass, vector loads, threads on element ranges.
 */
const ADD: i32 = 0;

export function binary(thread: i32, threads: i32, operation: i32, out: usize, a: usize, b: usize, size: i32, bSize: i32): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  while (i < end) {
    // Walk one repetition of b at a time, from i's offset inside it.
    const offset = i % bSize;
    const stop = min32(end, i + (bSize - offset));
    const bRow = b + (<usize>(offset - i) << 2); // bRow + 4·i addresses b[offset + (i' − i)]
    if (operation == ADD) {
      for (; i + 4 <= stop; i += 4) {
        const at = <usize>i << 2;
        v128.store(out + at, f32x4.add(v128.load(a + at), v128.load(bRow + at)));
      }
      for (; i < stop; i++) store<f32>(out + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) + load<f32>(bRow + (<usize>i << 2)));
    } else {
      for (; i + 4 <= stop; i += 4) {
        const at = <usize>i << 2;
        v128.store(out + at, f32x4.mul(v128.load(a + at), v128.load(bRow + at)));
      }
      for (; i < stop; i++) store<f32>(out + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) * load<f32>(bRow + (<usize>i << 2)));
    }
  }
}

export function scale(thread: i32, threads: i32, out: usize, x: usize, size: i32, factor: f32): void {
  const end = elementStart(size, thread + 1, threads);
  const f = f32x4.splat(factor);
  let i = elementStart(size, thread, threads);
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), f32x4.mul(v128.load(x + (<usize>i << 2)), f));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * factor);
}

/**
 * out[i] = x[i] rounded to f16 (nearest even; overflow → ±inf, NaN → quiet NaN), 8 at a time: how
 * keys and values enter an f16 KV cache. F. Giesen's float_to_half_fast3_rtne, lane-parallel.
 */
export function toHalf(thread: i32, threads: i32, out: usize, x: usize, size: i32): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  for (; i + 8 <= end; i += 8) {
    const at = x + (<usize>i << 2);
    v128.store(out + (<usize>i << 1), i16x8.narrow_i32x4_u(halfBits4(v128.load(at)), halfBits4(v128.load(at, 16))));
  }
  for (; i < end; i++) store<u16>(out + (<usize>i << 1), <u16>i32x4.extract_lane(halfBits4(v128.load32_zero(x + (<usize>i << 2))), 0));
}

/** f32 bits → f16 bits in the low 16 bits of each lane (see toHalf). */
// @ts-ignore: decorator
@inline
function halfBits4(bits: v128): v128 {
  const sign = v128.and(bits, i32x4.splat(0x80000000));
  const magnitude = v128.xor(bits, sign);
  // ≥ 65536 (2^16) after rounding is out of f16's range: inf, or NaN for NaN inputs.
  const overflow = i32x4.ge_s(magnitude, i32x4.splat(0x47800000));
  const special = v128.bitselect(i32x4.splat(0x7e00), i32x4.splat(0x7c00), i32x4.gt_s(magnitude, i32x4.splat(0x7f800000)));
  // Below 2^-14 the result is subnormal: adding 0.5 makes the FPU round the mantissa at f16's
  // subnormal position (nearest even), and subtracting 0.5's bits leaves the f16 bits.
  const subnormal = i32x4.lt_s(magnitude, i32x4.splat(0x38800000));
  const small = i32x4.sub(f32x4.add(magnitude, f32x4.splat(0.5)), i32x4.splat(0x3f000000));
  // Normal: rebias the exponent (−112 << 23), add 0xfff plus the lowest kept mantissa bit (ties to even), shift.
  const odd = v128.and(i32x4.shr_u(magnitude, 13), i32x4.splat(1));
  const normal = i32x4.shr_u(i32x4.add(i32x4.add(magnitude, i32x4.splat(0xc8000fff)), odd), 13);
  const half = v128.bitselect(special, v128.bitselect(small, normal, subnormal), overflow);
  return v128.or(half, i32x4.shr_u(sign, 16));
}

/**
 * Weight decoding: f16 / bf16 / Q8_0 / Q4_0 → f32, one row segment at a time, in registers.
 * Used to fill the small packed panels of the blocked matmul and the rows of `embedding`; whole
 * f32 copies of a weight are never made.
 */
export const DTYPE_F32: i32 = 0;
export const DTYPE_F16: i32 = 1;
export const DTYPE_BF16: i32 = 2;
export const DTYPE_Q8_0: i32 = 3;
export const DTYPE_Q4_0: i32 = 4;

export const BLOCK: i32 = 32;
export const Q8_0_BLOCK_BYTES: i32 = 34;
export const Q4_0_BLOCK_BYTES: i32 = 18;

/** 2^112: rescales an f16 exponent field moved into f32 position (covers subnormals exactly). */
export const F16_EXPONENT_SHIFT: f32 = 5.192296858534828e33;

/** Bytes of one row of `count` values of `dtype`. */
export function rowBytes(dtype: i32, count: i32): i32 {
  if (dtype == DTYPE_F32) return count << 2;
  if (dtype == DTYPE_F16 || dtype == DTYPE_BF16) return count << 1;
  if (dtype == DTYPE_Q8_0) return (count / BLOCK) * Q8_0_BLOCK_BYTES;
  return (count / BLOCK) * Q4_0_BLOCK_BYTES;
}

// @ts-ignore: decorator
@inline
export function f16ToF32(bits: u32): f32 {
  const magnitude = (bits & 0x7fff) << 13;
  const sign = (bits & 0x8000) << 16;
  if ((bits & 0x7c00) == 0x7c00) return reinterpret<f32>(magnitude | 0x7f800000 | sign); // inf / nan
  return reinterpret<f32>(reinterpret<u32>(reinterpret<f32>(magnitude) * F16_EXPONENT_SHIFT) | sign);
}

/** Four f16 values (in the low 16 bits of each i32 lane) → f32x4, exactly. */
// @ts-ignore: decorator
@inline
export function f16x4ToF32(bits: v128): v128 {
  const magnitude = i32x4.shl(v128.and(bits, i32x4.splat(0x7fff)), 13);
  const sign = i32x4.shl(v128.and(bits, i32x4.splat(0x8000)), 16);
  const finite = f32x4.mul(magnitude, f32x4.splat(F16_EXPONENT_SHIFT));
  const infOrNan = i32x4.eq(v128.and(bits, i32x4.splat(0x7c00)), i32x4.splat(0x7c00));
  return v128.or(v128.bitselect(v128.or(magnitude, i32x4.splat(0x7f800000)), finite, infOrNan), sign);
}

/**
 * f16 values in the high 16 bits of each i32 lane → f32x4, exact for finite values (subnormals
 * included) whatever the low 16 bits hold; inf and NaN come out finite, so callers must catch them.
 * The arithmetic shift lines the exponent and mantissa up with f32's and copies the sign into
 * bits 30..28, which the mask clears with the low half's bits; 2^112 rebiases the exponent.
 */
// @ts-ignore: decorator
@inline
export function f16ToF32High(bits: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shr_s(bits, 3), i32x4.splat(0x8fffe000)), f32x4.splat(F16_EXPONENT_SHIFT));
}

/**
 * The high nibble of every byte, 0..15. wasm has no 8-bit shift in hardware on x86: `i8x16.shr_u`
 * lowers to a 16-bit shift plus a mask V8 builds each time; shifting 16-bit lanes and masking with
 * the caller's 0x0f splat is two instructions (measured: Q4_0 matvec 1.08–1.09× per thread).
 */
// @ts-ignore: decorator
@inline
export function highNibbles(packed: v128, lowMask: v128): v128 {
  return v128.and(i16x8.shr_u(packed, 4), lowMask);
}

/** Four bf16 values (low 16 bits of each lane) → f32x4: bf16 is the top half of an f32. */
// @ts-ignore: decorator
@inline
export function bf16x4ToF32(bits: v128): v128 {
  return i32x4.shl(bits, 16);
}

/**
 * Decodes elements [start, start + count) of the row at `row` into f32 at `out`.
 * For the quantized types `start` and `count` are multiples of 32.
 */
export function decodeRow(dtype: i32, row: usize, start: i32, count: i32, out: usize): void {
  if (dtype == DTYPE_F32) {
    memory.copy(out, row + (<usize>start << 2), <usize>count << 2);
  } else if (dtype == DTYPE_F16 || dtype == DTYPE_BF16) {
    decodeHalfRow(dtype == DTYPE_BF16, row + (<usize>start << 1), count, out);
  } else if (dtype == DTYPE_Q8_0) {
    decodeQ8_0Row(row + <usize>(start / BLOCK) * Q8_0_BLOCK_BYTES, count / BLOCK, out);
  } else {
    decodeQ4_0Row(row + <usize>(start / BLOCK) * Q4_0_BLOCK_BYTES, count / BLOCK, out);
  }
}

function decodeHalfRow(brain: bool, source: usize, count: i32, out: usize): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const bits = v128.load16x4_u(source + (<usize>i << 1));
    v128.store(out + (<usize>i << 2), brain ? bf16x4ToF32(bits) : f16x4ToF32(bits));
  }
  for (; i < count; i++) {
    const bits = <u32>load<u16>(source + (<usize>i << 1));
    store<f32>(out + (<usize>i << 2), brain ? reinterpret<f32>(bits << 16) : f16ToF32(bits));
  }
}

function decodeQ8_0Row(block: usize, blocks: i32, out: usize): void {
  for (let b = 0; b < blocks; b++) {
    const d = f32x4.splat(f16ToF32(<u32>load<u16>(block)));
    for (let j: usize = 0; j < 32; j += 8) {
      const values = v128.load8x8_s(block + 2 + j); // i16x8
      v128.store(out + (j << 2), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(values)), d));
      v128.store(out + (j << 2), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(values)), d), 16);
    }
    block += Q8_0_BLOCK_BYTES;
    out += 128;
  }
}

function decodeQ4_0Row(block: usize, blocks: i32, out: usize): void {
  const eight = i8x16.splat(8);
  const lowMask = i8x16.splat(0x0f);
  for (let b = 0; b < blocks; b++) {
    const d = f32x4.splat(f16ToF32(<u32>load<u16>(block)));
    const packed = v128.load(block, 2);
    // Byte j holds element j (low nibble) and element j + 16 (high nibble).
    const low = i8x16.sub(v128.and(packed, lowMask), eight);
    const high = i8x16.sub(highNibbles(packed, lowMask), eight);
    storeI8x16AsF32(low, d, out);
    storeI8x16AsF32(high, d, out + 64);
    block += Q4_0_BLOCK_BYTES;
    out += 128;
  }
}

// @ts-ignore: decorator
@inline
function storeI8x16AsF32(values: v128, d: v128, out: usize): void {
  const low = i16x8.extend_low_i8x16_s(values);
  const high = i16x8.extend_high_i8x16_s(values);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(low)), d));
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(low)), d), 16);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(high)), d), 32);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(high)), d), 48);
}

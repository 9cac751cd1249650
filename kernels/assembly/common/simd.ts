/**
 * SIMD building blocks shared by every kernel. The build compiles this source twice, and
 * `ASC_FEATURE_RELAXED_SIMD` (a compile-time constant) selects the instructions: the branch not
 * taken is never compiled, so the plain-SIMD build contains no relaxed opcode.
 */

/** a·b + c: one fused `relaxed_madd` (vfmadd on x86, fmla on ARM) in the relaxed build, mul + add otherwise. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline
export function horizontalSum(v: v128): f32 {
  const pairs = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(pairs, v128.shuffle<f32>(pairs, pairs, 1, 0, 3, 2)), 0);
}

/** Largest of the four lanes. */
// @ts-ignore: decorator
@inline
export function horizontalMax(v: v128): f32 {
  const pairs = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.pmax(pairs, v128.shuffle<f32>(pairs, pairs, 1, 0, 3, 2)), 0);
}

/** Sum of the four i32 lanes. */
// @ts-ignore: decorator
@inline
export function horizontalSumI32(v: v128): i32 {
  const pairs = i32x4.add(v, v128.shuffle<i32>(v, v, 2, 3, 0, 1));
  return i32x4.extract_lane(i32x4.add(pairs, v128.shuffle<i32>(pairs, pairs, 1, 0, 3, 2)), 0);
}

/**
 * First unit of `part` when `total` units are split as evenly as possible into `parts` (static
 * partitioning: every thread computes its own range, no queue, no atomics).
 */
// @ts-ignore: decorator
@inline
export function partStart(total: i32, part: i32, parts: i32): i32 {
  return <i32>((<i64>total * <i64>part) / <i64>parts);
}

/** Byte address of element `index` of an f32 / i32 array at `base`. */
// @ts-ignore: decorator
@inline
export function at4(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

// @ts-ignore: decorator
@inline
export function min32(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Rounds `bytes` up to a multiple of 16 so every scratch sub-buffer stays v128-aligned. */
// @ts-ignore: decorator
@inline
export function align16(bytes: i32): i32 {
  return (bytes + 15) & ~15;
}

/** First element of `part` when `size` elements are split in whole groups of four (vector-aligned). */
// @ts-ignore: decorator
@inline
export function elementStart(size: i32, part: i32, parts: i32): i32 {
  return min32(size, partStart((size + 3) >> 2, part, parts) << 2);
}

/** [Σ s0, Σ s1, Σ s2, Σ s3]: four horizontal sums by one 4×4 transpose-add. */
// @ts-ignore: decorator
@inline
export function transposeSum(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const a = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const b = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7));
}

/**
 * The dots of `x` with four rows (`stride` bytes apart) as one f32x4: one accumulator per
 * row, reduced together by a 4×4 transpose-add, so there is one horizontal sum per four rows.
 */
export function dot4(x: usize, row: usize, stride: usize, length: i32): v128 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  const r1 = row + stride, r2 = r1 + stride, r3 = r2 + stride;
  let d = 0;
  for (; d + 4 <= length; d += 4) {
    const offset = <usize>d << 2;
    const v = v128.load(x + offset);
    s0 = madd(v, v128.load(row + offset), s0);
    s1 = madd(v, v128.load(r1 + offset), s1);
    s2 = madd(v, v128.load(r2 + offset), s2);
    s3 = madd(v, v128.load(r3 + offset), s3);
  }
  let sums = transposeSum(s0, s1, s2, s3);
  for (; d < length; d++) {
    const offset = <usize>d << 2;
    const v = load<f32>(x + offset);
    let tail = f32x4.replace_lane(f32x4.splat(v * load<f32>(row + offset)), 1, v * load<f32>(r1 + offset));
    tail = f32x4.replace_lane(tail, 2, v * load<f32>(r2 + offset));
    sums = f32x4.add(sums, f32x4.replace_lane(tail, 3, v * load<f32>(r3 + offset)));
  }
  return sums;
}

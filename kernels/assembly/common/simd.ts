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

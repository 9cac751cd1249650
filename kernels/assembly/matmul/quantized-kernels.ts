import { madd, min32 } from '../common/simd';
import { PAIR_ACTIVATION_BYTES, PAIR_WEIGHT_BYTES, QUAD_ACTIVATION_BYTES, QUAD_WEIGHT_BYTES } from './pack-quantized';

/**
 * The register-blocked core of the integer matmul (matmul-quantized.ts), over the unit layouts
 * of pack-quantized.ts: `a` walks one 4-row activation sliver, `wA` and `wB` one 4-row weight
 * panel each, block by block; the tile is stored at `out` (row stride `outStride` bytes), clipped
 * to `rows` × `columns`. One generic body serves both layouts: `sizeof<T>()` is a compile-time
 * constant, so each instantiation keeps only its own branches.
 *
 * Per block and activation row, a quad dot makes 16 products (i8 × u4) and a pair dot 8 (i16 ×
 * i16); with no fused dot-accumulate usable under V8 11.3 each dot also costs an add, so the
 * kernel is bound by vector ALU throughput. What moved them, measured (CPU time, one thread):
 * starting each block's sums with its first dot (one add fewer per block, 1.08×), feeding two
 * weight panels from each activation load (4×8 tile, 1.15× over 4×4), computing splat addresses
 * as `a + offset` rather than load immediates (1.12×: V8 then keeps the loads next to their dots).
 */

/**
 * 4 activation rows × 8 weight rows (two panels, `wA` and `wB`) over `blocks` units; `T` picks the
 * layout: i8 activations for quads (relaxed build only), i16 for pairs. Each splatted activation
 * load feeds two dots. 16 accumulators are more than x64's 15 vector registers, but the 8 f32 ones
 * are only touched once per block, so V8 keeps them on the stack; measured 1.15× a 4 × 4 tile
 * (2 × 8 was 1.11×; unrolling the step loop here spilled the i16 sums, 0.76×). A last odd group
 * of 4 weight rows runs with `wB = wA` and `columns` ≤ 4: one tile's work thrown away per thread
 * and call, where a separate 4 × 4 kernel would be a second copy of this loop.
 */
export function kernel4x8<T>(a: usize, wA: usize, wB: usize, blocks: i32, out: usize, outStride: usize, rows: i32, columns: i32): void {
  // Bytes of one activation row per unit: 32 steps of 4 i8 (quads) or 16 steps of 2 i16 (pairs);
  // the weight and activation scales follow 4 such rows.
  const ROW = <usize>(32 * sizeof<T>());
  const SCALES = ROW << 2;
  let cA0 = f32x4.splat(0), cB0 = f32x4.splat(0), cA1 = f32x4.splat(0), cB1 = f32x4.splat(0);
  let cA2 = f32x4.splat(0), cB2 = f32x4.splat(0), cA3 = f32x4.splat(0), cB3 = f32x4.splat(0);
  if (sizeof<T>() == 1 && !ASC_FEATURE_RELAXED_SIMD) return;
  for (let block = 0; block < blocks; block++) {
    let weightsA = v128.load(wA), weightsB = v128.load(wB);
    let x = v128.load32_splat(a + 0);
    let sA0 = dot<T>(x, weightsA), sB0 = dot<T>(x, weightsB);
    x = v128.load32_splat(a + ROW);
    let sA1 = dot<T>(x, weightsA), sB1 = dot<T>(x, weightsB);
    x = v128.load32_splat(a + 2 * ROW);
    let sA2 = dot<T>(x, weightsA), sB2 = dot<T>(x, weightsB);
    x = v128.load32_splat(a + 3 * ROW);
    let sA3 = dot<T>(x, weightsA), sB3 = dot<T>(x, weightsB);
    for (let step: usize = 4; step < ROW; step += 4) {
      weightsA = v128.load(wA + (step << 2));
      weightsB = v128.load(wB + (step << 2));
      x = v128.load32_splat(a + step + 0);
      sA0 = dotAdd<T>(sA0, x, weightsA);
      sB0 = dotAdd<T>(sB0, x, weightsB);
      x = v128.load32_splat(a + step + ROW);
      sA1 = dotAdd<T>(sA1, x, weightsA);
      sB1 = dotAdd<T>(sB1, x, weightsB);
      x = v128.load32_splat(a + step + 2 * ROW);
      sA2 = dotAdd<T>(sA2, x, weightsA);
      sB2 = dotAdd<T>(sB2, x, weightsB);
      x = v128.load32_splat(a + step + 3 * ROW);
      sA3 = dotAdd<T>(sA3, x, weightsA);
      sB3 = dotAdd<T>(sB3, x, weightsB);
    }
    const scalesA = v128.load(wA, SCALES), scalesB = v128.load(wB, SCALES);
    const d0 = v128.load32_splat(a, SCALES);
    cA0 = madd(blockSums<T>(sA0, a, 0), f32x4.mul(scalesA, d0), cA0);
    cB0 = madd(blockSums<T>(sB0, a, 0), f32x4.mul(scalesB, d0), cB0);
    const d1 = v128.load32_splat(a, SCALES + 4);
    cA1 = madd(blockSums<T>(sA1, a, 1), f32x4.mul(scalesA, d1), cA1);
    cB1 = madd(blockSums<T>(sB1, a, 1), f32x4.mul(scalesB, d1), cB1);
    const d2 = v128.load32_splat(a, SCALES + 8);
    cA2 = madd(blockSums<T>(sA2, a, 2), f32x4.mul(scalesA, d2), cA2);
    cB2 = madd(blockSums<T>(sB2, a, 2), f32x4.mul(scalesB, d2), cB2);
    const d3 = v128.load32_splat(a, SCALES + 12);
    cA3 = madd(blockSums<T>(sA3, a, 3), f32x4.mul(scalesA, d3), cA3);
    cB3 = madd(blockSums<T>(sB3, a, 3), f32x4.mul(scalesB, d3), cB3);
    a += sizeof<T>() == 1 ? QUAD_ACTIVATION_BYTES : PAIR_ACTIVATION_BYTES;
    wA += sizeof<T>() == 1 ? QUAD_WEIGHT_BYTES : PAIR_WEIGHT_BYTES;
    wB += sizeof<T>() == 1 ? QUAD_WEIGHT_BYTES : PAIR_WEIGHT_BYTES;
  }
  storeTile2x8(cA0, cB0, cA1, cB1, out, outStride, min32(2, rows), columns);
  if (rows > 2) storeTile2x8(cA2, cB2, cA3, cB3, out + 2 * outStride, outStride, rows - 2, columns);
}

/**
 * The splatted activation `x` (4 i8 or 2 i16) · one weight vector: quads give i16 pair sums (lane
 * pair m = weight row m; ≤ 2·127·15 each, ≤ 30480 after 8 steps, so no overflow before widening),
 * pairs i32 lanes (lane m = weight row m).
 */
// @ts-ignore: decorator
@inline
function dot<T>(x: v128, weights: v128): v128 {
  if (sizeof<T>() == 1) return i16x8.relaxed_dot_i8x16_i7x16_s(x, weights);
  return i32x4.dot_i16x8_s(x, weights);
}

// @ts-ignore: decorator
@inline
function dotAdd<T>(sums: v128, x: v128, weights: v128): v128 {
  if (sizeof<T>() == 1) return i16x8.add(sums, dot<T>(x, weights));
  return i32x4.add(sums, dot<T>(x, weights));
}

/**
 * One block's integer sums of activation row `r` as f32 per weight row. Quads: Σ a·(q − 8) =
 * Σ a·q − 8·Σa, and the activation unit stores 8·Σa per row after its scales.
 */
// @ts-ignore: decorator
@inline
function blockSums<T>(sums: v128, a: usize, r: usize): v128 {
  if (sizeof<T>() == 1) return f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sums), v128.load32_splat(a + (r << 2), 144)));
  return f32x4.convert_i32x4_s(sums);
}

// @ts-ignore: decorator
@inline
function storeTile2x8(cA0: v128, cB0: v128, cA1: v128, cB1: v128, out: usize, outStride: usize, rows: i32, columns: i32): void {
  storeRow8(cA0, cB0, out, columns);
  if (rows > 1) storeRow8(cA1, cB1, out + outStride, columns);
}

// @ts-ignore: decorator
@inline
function storeRow8(cA: v128, cB: v128, out: usize, columns: i32): void {
  if (columns >= 4) v128.store(out, cA);
  else storeRow(cA, out, columns);
  if (columns >= 8) v128.store(out, cB, 16);
  else if (columns > 4) storeRow(cB, out + 16, columns - 4);
}

// @ts-ignore: decorator
@inline
function storeRow(values: v128, out: usize, columns: i32): void {
  store<f32>(out, f32x4.extract_lane(values, 0));
  if (columns > 1) store<f32>(out, f32x4.extract_lane(values, 1), 4);
  if (columns > 2) store<f32>(out, f32x4.extract_lane(values, 2), 8);
  if (columns > 3) store<f32>(out, f32x4.extract_lane(values, 3), 12);
}

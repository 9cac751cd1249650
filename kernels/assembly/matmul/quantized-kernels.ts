import { madd, min32 } from '../common/simd';
import { PAIR_ACTIVATION_BYTES, PAIR_WEIGHT_BYTES, QUAD_ACTIVATION_BYTES, QUAD_WEIGHT_BYTES } from './pack-quantized';

/**
 * The register-blocked cores of the integer matmul (matmul-quantized.ts), over the unit layouts
 * of pack-quantized.ts: `a` walks one 4-row activation sliver, `w` (or `wA`, `wB`) one 4-row weight
 * panel, block by block; the tile is stored at `out` (row stride `outStride` bytes), clipped to
 * `rows` × `columns`.
 *
 * Per block and activation row, a quad dot makes 16 products (i8 × u4) and a pair dot 8 (i16 ×
 * i16); with no fused dot-accumulate usable under V8 11.3 each dot also costs an add, so the
 * kernels are bound by vector ALU throughput. What moved them, measured (CPU time, one thread):
 * starting each block's sums with its first dot (one add fewer per block, 1.08×), feeding two
 * weight panels from each activation load (4×8 tile, 1.15× over 4×4), computing splat addresses
 * as `a + offset` rather than load immediates (1.12×: V8 then keeps the loads next to their dots).
 */

/**
 * 4 activation rows × 8 weight rows (two quad panels, `wA` and `wB`): each splatted activation
 * load feeds two dots. 16 accumulators are more than x64's 15 vector registers, but the 8 f32
 * ones are only touched once per block, so V8 keeps them on the stack; measured 1.15× the 4 × 4
 * kernel (a 2 × 8 tile was 1.11×; unrolling the step loop here spilled the i16 sums, 0.76×).
 */
// i16 lanes: sums of 2 products ≤ 127·15 each, 8 steps → ≤ 30480, no overflow before widening.
export function quadKernel4x8(a: usize, wA: usize, wB: usize, blocks: i32, out: usize, outStride: usize, rows: i32, columnsB: i32): void {
  let cA0 = f32x4.splat(0), cB0 = f32x4.splat(0), cA1 = f32x4.splat(0), cB1 = f32x4.splat(0);
  let cA2 = f32x4.splat(0), cB2 = f32x4.splat(0), cA3 = f32x4.splat(0), cB3 = f32x4.splat(0);
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  for (let block = 0; block < blocks; block++) {
    let weightsA = v128.load(wA), weightsB = v128.load(wB);
    let x = v128.load32_splat(a + 0);
    let sA0 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA), sB0 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB);
    x = v128.load32_splat(a + 32);
    let sA1 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA), sB1 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB);
    x = v128.load32_splat(a + 64);
    let sA2 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA), sB2 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB);
    x = v128.load32_splat(a + 96);
    let sA3 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA), sB3 = i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB);
    for (let step: usize = 4; step < 32; step += 4) {
      weightsA = v128.load(wA + (step << 2));
      weightsB = v128.load(wB + (step << 2));
      x = v128.load32_splat(a + step + 0);
      sA0 = i16x8.add(sA0, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA));
      sB0 = i16x8.add(sB0, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB));
      x = v128.load32_splat(a + step + 32);
      sA1 = i16x8.add(sA1, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA));
      sB1 = i16x8.add(sB1, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB));
      x = v128.load32_splat(a + step + 64);
      sA2 = i16x8.add(sA2, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA));
      sB2 = i16x8.add(sB2, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB));
      x = v128.load32_splat(a + step + 96);
      sA3 = i16x8.add(sA3, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsA));
      sB3 = i16x8.add(sB3, i16x8.relaxed_dot_i8x16_i7x16_s(x, weightsB));
    }
    const scalesA = v128.load(wA, 128), scalesB = v128.load(wB, 128);
    const d0 = v128.load32_splat(a, 128), e0 = v128.load32_splat(a, 144);
    cA0 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sA0), e0)), f32x4.mul(scalesA, d0), cA0);
    cB0 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sB0), e0)), f32x4.mul(scalesB, d0), cB0);
    const d1 = v128.load32_splat(a, 132), e1 = v128.load32_splat(a, 148);
    cA1 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sA1), e1)), f32x4.mul(scalesA, d1), cA1);
    cB1 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sB1), e1)), f32x4.mul(scalesB, d1), cB1);
    const d2 = v128.load32_splat(a, 136), e2 = v128.load32_splat(a, 152);
    cA2 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sA2), e2)), f32x4.mul(scalesA, d2), cA2);
    cB2 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sB2), e2)), f32x4.mul(scalesB, d2), cB2);
    const d3 = v128.load32_splat(a, 140), e3 = v128.load32_splat(a, 156);
    cA3 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sA3), e3)), f32x4.mul(scalesA, d3), cA3);
    cB3 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(sB3), e3)), f32x4.mul(scalesB, d3), cB3);
    a += QUAD_ACTIVATION_BYTES;
    wA += QUAD_WEIGHT_BYTES;
    wB += QUAD_WEIGHT_BYTES;
  }
  storeTile2x8(cA0, cB0, cA1, cB1, out, outStride, min32(2, rows), columnsB);
  if (rows > 2) storeTile2x8(cA2, cB2, cA3, cB3, out + 2 * outStride, outStride, rows - 2, columnsB);
}

/** The pair-layout twin of quadKernel4x8 (i16 × i16 → i32 dots, no offset correction): 1.05–1.07× the 4 × 4 kernel. */
export function pairKernel4x8(a: usize, wA: usize, wB: usize, blocks: i32, out: usize, outStride: usize, rows: i32, columnsB: i32): void {
  let cA0 = f32x4.splat(0), cB0 = f32x4.splat(0), cA1 = f32x4.splat(0), cB1 = f32x4.splat(0);
  let cA2 = f32x4.splat(0), cB2 = f32x4.splat(0), cA3 = f32x4.splat(0), cB3 = f32x4.splat(0);
  for (let block = 0; block < blocks; block++) {
    let weightsA = v128.load(wA), weightsB = v128.load(wB);
    let x = v128.load32_splat(a + 0);
    let sA0 = i32x4.dot_i16x8_s(x, weightsA), sB0 = i32x4.dot_i16x8_s(x, weightsB);
    x = v128.load32_splat(a + 64);
    let sA1 = i32x4.dot_i16x8_s(x, weightsA), sB1 = i32x4.dot_i16x8_s(x, weightsB);
    x = v128.load32_splat(a + 128);
    let sA2 = i32x4.dot_i16x8_s(x, weightsA), sB2 = i32x4.dot_i16x8_s(x, weightsB);
    x = v128.load32_splat(a + 192);
    let sA3 = i32x4.dot_i16x8_s(x, weightsA), sB3 = i32x4.dot_i16x8_s(x, weightsB);
    for (let step: usize = 4; step < 64; step += 4) {
      weightsA = v128.load(wA + (step << 2));
      weightsB = v128.load(wB + (step << 2));
      x = v128.load32_splat(a + step + 0);
      sA0 = i32x4.add(sA0, i32x4.dot_i16x8_s(x, weightsA));
      sB0 = i32x4.add(sB0, i32x4.dot_i16x8_s(x, weightsB));
      x = v128.load32_splat(a + step + 64);
      sA1 = i32x4.add(sA1, i32x4.dot_i16x8_s(x, weightsA));
      sB1 = i32x4.add(sB1, i32x4.dot_i16x8_s(x, weightsB));
      x = v128.load32_splat(a + step + 128);
      sA2 = i32x4.add(sA2, i32x4.dot_i16x8_s(x, weightsA));
      sB2 = i32x4.add(sB2, i32x4.dot_i16x8_s(x, weightsB));
      x = v128.load32_splat(a + step + 192);
      sA3 = i32x4.add(sA3, i32x4.dot_i16x8_s(x, weightsA));
      sB3 = i32x4.add(sB3, i32x4.dot_i16x8_s(x, weightsB));
    }
    const scalesA = v128.load(wA, 256), scalesB = v128.load(wB, 256);
    const d0 = v128.load32_splat(a, 256);
    cA0 = madd(f32x4.convert_i32x4_s(sA0), f32x4.mul(scalesA, d0), cA0);
    cB0 = madd(f32x4.convert_i32x4_s(sB0), f32x4.mul(scalesB, d0), cB0);
    const d1 = v128.load32_splat(a, 260);
    cA1 = madd(f32x4.convert_i32x4_s(sA1), f32x4.mul(scalesA, d1), cA1);
    cB1 = madd(f32x4.convert_i32x4_s(sB1), f32x4.mul(scalesB, d1), cB1);
    const d2 = v128.load32_splat(a, 264);
    cA2 = madd(f32x4.convert_i32x4_s(sA2), f32x4.mul(scalesA, d2), cA2);
    cB2 = madd(f32x4.convert_i32x4_s(sB2), f32x4.mul(scalesB, d2), cB2);
    const d3 = v128.load32_splat(a, 268);
    cA3 = madd(f32x4.convert_i32x4_s(sA3), f32x4.mul(scalesA, d3), cA3);
    cB3 = madd(f32x4.convert_i32x4_s(sB3), f32x4.mul(scalesB, d3), cB3);
    a += PAIR_ACTIVATION_BYTES;
    wA += PAIR_WEIGHT_BYTES;
    wB += PAIR_WEIGHT_BYTES;
  }
  storeTile2x8(cA0, cB0, cA1, cB1, out, outStride, min32(2, rows), columnsB);
  if (rows > 2) storeTile2x8(cA2, cB2, cA3, cB3, out + 2 * outStride, outStride, rows - 2, columnsB);
}

/** 4 activation rows × 4 weight rows over `blocks` quad units (relaxed build only). */
export function quadKernel(a: usize, w: usize, blocks: i32, out: usize, outStride: usize, rows: i32, columns: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  for (let block = 0; block < blocks; block++) {
    // i16 lanes: sums of 2 products ≤ 127·15 each, 8 steps → ≤ 30480, no overflow before widening.
    // Two steps per pass: a full unroll had V8 issue all 40 loads first, spill, and run 1.5× slower.
    // The first pass starts the sums (one add fewer per block). The splat addresses are computed
    // (a + offset) rather than load immediates: measured 12% faster under V8 11.3.
    let weights = v128.load(w);
    let s0 = quadDot(a, 0, weights), s1 = quadDot(a, 32, weights), s2 = quadDot(a, 64, weights), s3 = quadDot(a, 96, weights);
    weights = v128.load(w, 16);
    s0 = i16x8.add(s0, quadDot(a, 4, weights));
    s1 = i16x8.add(s1, quadDot(a, 36, weights));
    s2 = i16x8.add(s2, quadDot(a, 68, weights));
    s3 = i16x8.add(s3, quadDot(a, 100, weights));
    for (let step: usize = 8; step < 32; step += 8) {
      const x = a + step;
      const y = w + (step << 2);
      weights = v128.load(y);
      s0 = i16x8.add(s0, quadDot(x, 0, weights));
      s1 = i16x8.add(s1, quadDot(x, 32, weights));
      s2 = i16x8.add(s2, quadDot(x, 64, weights));
      s3 = i16x8.add(s3, quadDot(x, 96, weights));
      weights = v128.load(y, 16);
      s0 = i16x8.add(s0, quadDot(x, 4, weights));
      s1 = i16x8.add(s1, quadDot(x, 36, weights));
      s2 = i16x8.add(s2, quadDot(x, 68, weights));
      s3 = i16x8.add(s3, quadDot(x, 100, weights));
    }
    const scales = v128.load(w, 128);
    // Σ a·(q − 8) = Σ a·q − 8·Σa; the activation unit stores 8·Σa per row.
    c0 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(s0), v128.load32_splat(a, 144))), f32x4.mul(scales, v128.load32_splat(a, 128)), c0);
    c1 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(s1), v128.load32_splat(a, 148))), f32x4.mul(scales, v128.load32_splat(a, 132)), c1);
    c2 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(s2), v128.load32_splat(a, 152))), f32x4.mul(scales, v128.load32_splat(a, 136)), c2);
    c3 = madd(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extadd_pairwise_i16x8_s(s3), v128.load32_splat(a, 156))), f32x4.mul(scales, v128.load32_splat(a, 140)), c3);
    a += QUAD_ACTIVATION_BYTES;
    w += QUAD_WEIGHT_BYTES;
  }
  storeTile(c0, c1, c2, c3, out, outStride, rows, columns);
}

/** The 4 activation bytes at a + offset (splatted) · one quad weight vector: i16 pair sums, lane pair m = weight row m. */
// @ts-ignore: decorator
@inline
function quadDot(a: usize, offset: usize, weights: v128): v128 {
  return i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(a + offset), weights);
}

/** 4 activation rows × 4 weight rows over `blocks` pair units (i16 × i16 → i32 dots). */
export function pairKernel(a: usize, w: usize, blocks: i32, out: usize, outStride: usize, rows: i32, columns: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let block = 0; block < blocks; block++) {
    let weights = v128.load(w);
    let s0 = pairDot(a, 0, weights), s1 = pairDot(a, 64, weights), s2 = pairDot(a, 128, weights), s3 = pairDot(a, 192, weights);
    weights = v128.load(w, 16);
    s0 = i32x4.add(s0, pairDot(a, 4, weights));
    s1 = i32x4.add(s1, pairDot(a, 68, weights));
    s2 = i32x4.add(s2, pairDot(a, 132, weights));
    s3 = i32x4.add(s3, pairDot(a, 196, weights));
    for (let step: usize = 8; step < 64; step += 8) {
      const x = a + step;
      const y = w + (step << 2);
      weights = v128.load(y);
      s0 = i32x4.add(s0, pairDot(x, 0, weights));
      s1 = i32x4.add(s1, pairDot(x, 64, weights));
      s2 = i32x4.add(s2, pairDot(x, 128, weights));
      s3 = i32x4.add(s3, pairDot(x, 192, weights));
      weights = v128.load(y, 16);
      s0 = i32x4.add(s0, pairDot(x, 4, weights));
      s1 = i32x4.add(s1, pairDot(x, 68, weights));
      s2 = i32x4.add(s2, pairDot(x, 132, weights));
      s3 = i32x4.add(s3, pairDot(x, 196, weights));
    }
    const scales = v128.load(w, 256);
    c0 = madd(f32x4.convert_i32x4_s(s0), f32x4.mul(scales, v128.load32_splat(a, 256)), c0);
    c1 = madd(f32x4.convert_i32x4_s(s1), f32x4.mul(scales, v128.load32_splat(a, 260)), c1);
    c2 = madd(f32x4.convert_i32x4_s(s2), f32x4.mul(scales, v128.load32_splat(a, 264)), c2);
    c3 = madd(f32x4.convert_i32x4_s(s3), f32x4.mul(scales, v128.load32_splat(a, 268)), c3);
    a += PAIR_ACTIVATION_BYTES;
    w += PAIR_WEIGHT_BYTES;
  }
  storeTile(c0, c1, c2, c3, out, outStride, rows, columns);
}

/** The 2 i16 activations at a + offset (splatted) · one pair weight vector: i32 lane m = weight row m. */
// @ts-ignore: decorator
@inline
function pairDot(a: usize, offset: usize, weights: v128): v128 {
  return i32x4.dot_i16x8_s(v128.load32_splat(a + offset), weights);
}

// @ts-ignore: decorator
@inline
function storeTile2x8(cA0: v128, cB0: v128, cA1: v128, cB1: v128, out: usize, outStride: usize, rows: i32, columnsB: i32): void {
  v128.store(out, cA0);
  storeRow(cB0, out + 16, columnsB);
  if (rows > 1) {
    v128.store(out + outStride, cA1);
    storeRow(cB1, out + outStride + 16, columnsB);
  }
}

// @ts-ignore: decorator
@inline
function storeTile(c0: v128, c1: v128, c2: v128, c3: v128, out: usize, outStride: usize, rows: i32, columns: i32): void {
  if (rows == 4 && columns == 4) {
    v128.store(out, c0);
    v128.store(out + outStride, c1);
    v128.store(out + 2 * outStride, c2);
    v128.store(out + 3 * outStride, c3);
    return;
  }
  storeRow(c0, out, columns);
  if (rows > 1) storeRow(c1, out + outStride, columns);
  if (rows > 2) storeRow(c2, out + 2 * outStride, columns);
  if (rows > 3) storeRow(c3, out + 3 * outStride, columns);
}

// @ts-ignore: decorator
@inline
function storeRow(values: v128, out: usize, columns: i32): void {
  store<f32>(out, f32x4.extract_lane(values, 0));
  if (columns > 1) store<f32>(out, f32x4.extract_lane(values, 1), 4);
  if (columns > 2) store<f32>(out, f32x4.extract_lane(values, 2), 8);
  if (columns > 3) store<f32>(out, f32x4.extract_lane(values, 3), 12);
}

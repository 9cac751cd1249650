import { BLOCK, DTYPE_Q8_0, Q4_0_BLOCK_BYTES, Q8_0_BLOCK_BYTES, f16x4ToF32, highNibbles } from '../common/decode';
import { blockScale, codeSum, codesI16, inverseScale } from './quantize-block';

/**
 * Packing for the integer matmul (matmul-quantized.ts): activation rows are quantized to int8
 * blocks of 32 (llama.cpp's q8_0: d = max|x| / 127) and weights are re-laid out, still as
 * integers, so that one 128-bit integer dot product covers four weight rows at once.
 *
 * Two layouts, both "4 rows × 1 block" units walked by one pointer each with constant offsets:
 *
 * Quads (Q4_0 in the relaxed build, `i16x8.relaxed_dot_i8x16_i7x16_s`): a weight vector holds
 * 4 consecutive nibbles (0..15, 7-bit) of each of 4 rows, i32 lane m = row m, so a dot with the
 * activation's 4 bytes splatted to every lane gives each row's partial sums in its own lanes.
 *   weights:     8 × v128 (k = 4s .. 4s+3, s = 0..7) | f32x4 weight scales        = 144 bytes
 *   activations: 4 rows × 32 i8 | f32x4 scales | i32x4 8·Σq (the −8 nibble offset) = 160 bytes
 * Pairs (Q8_0, and Q4_0 in the plain build, `i32x4.dot_i16x8_s`): the same with 2 consecutive
 * i16 values per row and lane.
 *   weights:     16 × v128 (k = 2s, 2s+1, s = 0..15) | f32x4 weight scales         = 272 bytes
 *   activations: 4 rows × 32 i16 | f32x4 scales                                   = 272 bytes
 */
export const QUAD_WEIGHT_BYTES: i32 = 144;
export const QUAD_ACTIVATION_BYTES: i32 = 160;
export const PAIR_WEIGHT_BYTES: i32 = 272;
export const PAIR_ACTIVATION_BYTES: i32 = 272;

/** Stores the i32-lane transpose of r0..r3 at out, out + 16, out + 32, out + 48 (lane m of output s = lane s of r_m). */
// @ts-ignore: decorator
@inline
function storeTransposed(r0: v128, r1: v128, r2: v128, r3: v128, out: usize): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<i64>(t0, t1, 0, 2));
  v128.store(out, v128.shuffle<i64>(t0, t1, 1, 3), 16);
  v128.store(out, v128.shuffle<i64>(t2, t3, 0, 2), 32);
  v128.store(out, v128.shuffle<i64>(t2, t3, 1, 3), 48);
}

/**
 * Quantizes rows [0, rows) of a row-major f32 [rows, K] (`stride` bytes per row) into slivers of 4
 * rows (`quads` chooses the layout); rows past `rows` in the last sliver are zero.
 */
export function packQuantizedActivations(a: usize, stride: usize, rows: i32, K: i32, quads: bool, out: usize): void {
  const blocks = K / BLOCK;
  const unit = <usize>(quads ? QUAD_ACTIVATION_BYTES : PAIR_ACTIVATION_BYTES);
  const sliverBytes = unit * <usize>blocks;
  const slivers = (rows + 3) >> 2;
  for (let s = 0; s < slivers; s++) {
    for (let r = 0; r < 4; r++) {
      const row = (s << 2) + r;
      let target = out + <usize>s * sliverBytes;
      if (row >= rows) {
        for (let block = 0; block < blocks; block++) {
          if (quads) {
            v128.store(target + (<usize>r << 5), i32x4.splat(0));
            v128.store(target + (<usize>r << 5), i32x4.splat(0), 16);
            store<f32>(target + 128 + (<usize>r << 2), 0);
            store<i32>(target + 144 + (<usize>r << 2), 0);
          } else {
            for (let j: usize = 0; j < 64; j += 16) v128.store(target + (<usize>r << 6) + j, i32x4.splat(0));
            store<f32>(target + 256 + (<usize>r << 2), 0);
          }
          target += unit;
        }
        continue;
      }
      let source = a + <usize>row * stride;
      for (let block = 0; block < blocks; block++) {
        quantizeBlock(source, target, r, quads);
        source += 128;
        target += unit;
      }
    }
  }
}

/** One block of 32 floats at `source` → row `r` of the 4-row unit at `target`. */
function quantizeBlock(source: usize, target: usize, r: i32, quads: bool): void {
  const v0 = v128.load(source), v1 = v128.load(source, 16), v2 = v128.load(source, 32), v3 = v128.load(source, 48);
  const v4 = v128.load(source, 64), v5 = v128.load(source, 80), v6 = v128.load(source, 96), v7 = v128.load(source, 112);
  const d = blockScale(v0, v1, v2, v3, v4, v5, v6, v7);
  const inverse = inverseScale(d);
  const w0 = codesI16(v0, v1, inverse), w1 = codesI16(v2, v3, inverse), w2 = codesI16(v4, v5, inverse), w3 = codesI16(v6, v7, inverse);
  if (quads) {
    const row = target + (<usize>r << 5);
    v128.store(row, i8x16.narrow_i16x8_s(w0, w1));
    v128.store(row, i8x16.narrow_i16x8_s(w2, w3), 16);
    store<f32>(target + 128 + (<usize>r << 2), d);
    store<i32>(target + 144 + (<usize>r << 2), codeSum(w0, w1, w2, w3) << 3);
  } else {
    const row = target + (<usize>r << 6);
    v128.store(row, w0);
    v128.store(row, w1, 16);
    v128.store(row, w2, 32);
    v128.store(row, w3, 48);
    store<f32>(target + 256 + (<usize>r << 2), d);
  }
}

/**
 * Packs weight rows [n0, n0 + count) (count ≤ 4; missing rows are zero) of a Q8_0 / Q4_0 [N, K]
 * matrix into one group of `blocks` units.
 */
export function packQuantizedWeights(w: usize, dtype: i32, rowBytes: usize, n0: i32, count: i32, blocks: i32, quads: bool, out: usize): void {
  const q8 = dtype == DTYPE_Q8_0;
  const blockBytes = <usize>(q8 ? Q8_0_BLOCK_BYTES : Q4_0_BLOCK_BYTES);
  const unit = <usize>(quads ? QUAD_WEIGHT_BYTES : PAIR_WEIGHT_BYTES);
  const scales = unit - 16;
  // Missing rows read row n0 (always present) with a zero scale: their products vanish.
  const r0 = w + <usize>n0 * rowBytes;
  const r1 = count > 1 ? r0 + rowBytes : r0;
  const r2 = count > 2 ? r0 + 2 * rowBytes : r0;
  const r3 = count > 3 ? r0 + 3 * rowBytes : r0;
  // Lane m of the f16 scale bits is kept for rows that exist; a missing row's zero bits decode to 0.
  const present = i32x4.gt_s(i32x4.splat(count), i32x4(0, 1, 2, 3));
  for (let block = 0; block < blocks; block++) {
    const offset = <usize>block * blockBytes;
    const target = out + <usize>block * unit;
    let bits = i32x4.splat(<i32>load<u16>(r0 + offset));
    bits = i32x4.replace_lane(bits, 1, <i32>load<u16>(r1 + offset));
    bits = i32x4.replace_lane(bits, 2, <i32>load<u16>(r2 + offset));
    bits = i32x4.replace_lane(bits, 3, <i32>load<u16>(r3 + offset));
    v128.store(target + scales, f16x4ToF32(v128.and(bits, present)));
    if (quads) {
      packQuadBlock(r0 + offset, r1 + offset, r2 + offset, r3 + offset, target);
    } else if (q8) {
      packQ8_0PairBlock(r0 + offset, r1 + offset, r2 + offset, r3 + offset, target);
    } else {
      packQ4_0PairBlock(r0 + offset, r1 + offset, r2 + offset, r3 + offset, target);
    }
  }
}

/** Q4_0: byte b of a block holds element b (low nibble) and b + 16 (high nibble), stored value q + 8. */
function packQuadBlock(b0: usize, b1: usize, b2: usize, b3: usize, target: usize): void {
  const mask = i8x16.splat(0x0f);
  const p0 = v128.load(b0, 2), p1 = v128.load(b1, 2), p2 = v128.load(b2, 2), p3 = v128.load(b3, 2);
  storeTransposed(v128.and(p0, mask), v128.and(p1, mask), v128.and(p2, mask), v128.and(p3, mask), target);
  storeTransposed(highNibbles(p0, mask), highNibbles(p1, mask), highNibbles(p2, mask), highNibbles(p3, mask), target + 64);
}

function packQ8_0PairBlock(b0: usize, b1: usize, b2: usize, b3: usize, target: usize): void {
  for (let part: usize = 0; part < 4; part++) {
    const at: usize = 2 + (part << 3);
    storeTransposed(
      v128.load8x8_s(b0 + at), v128.load8x8_s(b1 + at), v128.load8x8_s(b2 + at), v128.load8x8_s(b3 + at),
      target + (part << 6),
    );
  }
}

function packQ4_0PairBlock(b0: usize, b1: usize, b2: usize, b3: usize, target: usize): void {
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  const p0 = v128.load(b0, 2), p1 = v128.load(b1, 2), p2 = v128.load(b2, 2), p3 = v128.load(b3, 2);
  const l0 = i8x16.sub(v128.and(p0, mask), eight), l1 = i8x16.sub(v128.and(p1, mask), eight);
  const l2 = i8x16.sub(v128.and(p2, mask), eight), l3 = i8x16.sub(v128.and(p3, mask), eight);
  const h0 = i8x16.sub(highNibbles(p0, mask), eight), h1 = i8x16.sub(highNibbles(p1, mask), eight);
  const h2 = i8x16.sub(highNibbles(p2, mask), eight), h3 = i8x16.sub(highNibbles(p3, mask), eight);
  storeTransposed(i16x8.extend_low_i8x16_s(l0), i16x8.extend_low_i8x16_s(l1), i16x8.extend_low_i8x16_s(l2), i16x8.extend_low_i8x16_s(l3), target);
  storeTransposed(i16x8.extend_high_i8x16_s(l0), i16x8.extend_high_i8x16_s(l1), i16x8.extend_high_i8x16_s(l2), i16x8.extend_high_i8x16_s(l3), target + 64);
  storeTransposed(i16x8.extend_low_i8x16_s(h0), i16x8.extend_low_i8x16_s(h1), i16x8.extend_low_i8x16_s(h2), i16x8.extend_low_i8x16_s(h3), target + 128);
  storeTransposed(i16x8.extend_high_i8x16_s(h0), i16x8.extend_high_i8x16_s(h1), i16x8.extend_high_i8x16_s(h2), i16x8.extend_high_i8x16_s(h3), target + 192);
}

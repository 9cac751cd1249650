import { decodeRow, DTYPE_F32 } from '../common/decode';
import { MR, NR } from './micro-kernel';

/**
 * Packing copies a cache block of A or B into the order the micro-kernel reads it, so that its
 * inner loop walks two contiguous streams. Partial slivers/panels are padded with zeros, which
 * lets the micro-kernel always compute a full 4×8 tile.
 */

/** Transposes the 4×4 block held in r0..r3 (rows) and stores its columns at out, out+16, out+32, out+48... with `step` bytes between them. */
// @ts-ignore: decorator
@inline
function storeTransposed4x4(r0: v128, r1: v128, r2: v128, r3: v128, out: usize, step: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(out + step, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(out + 2 * step, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(out + 3 * step, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/**
 * Packs rows [0, rows) × columns [0, kc) of a row-major f32 matrix (`stride` bytes per row) into
 * slivers of MR rows: sliver s holds kc groups of MR floats. Used for A, and for transposed B
 * (whose rows are B's columns) with MR = 4 per half of an NR = 8 panel.
 */
export function packA(source: usize, stride: usize, rows: i32, kc: i32, out: usize): void {
  for (let r0 = 0; r0 < rows; r0 += MR) {
    const count = rows - r0 < MR ? rows - r0 : MR;
    const sliver = out + <usize>r0 * <usize>kc * 4;
    const row = source + <usize>r0 * stride;
    if (count == MR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const offset = <usize>p << 2;
        storeTransposed4x4(
          v128.load(row + offset),
          v128.load(row + stride + offset),
          v128.load(row + 2 * stride + offset),
          v128.load(row + 3 * stride + offset),
          sliver + (<usize>p << 4),
          16,
        );
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) store<f32>(sliver + (<usize>(p * MR + r) << 2), load<f32>(row + <usize>r * stride + (<usize>p << 2)));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          const value: f32 = r < count ? load<f32>(row + <usize>r * stride + (<usize>p << 2)) : 0;
          store<f32>(sliver + (<usize>(p * MR + r) << 2), value);
        }
      }
    }
  }
}

/**
 * Packs B[k0 .. k0+kc, columns n0 .. n0+nc] of a row-major [K, N] f32 B into panels of NR columns:
 * panel j holds kc groups of NR floats.
 */
export function packB(b: usize, N: i32, k0: i32, kc: i32, n0: i32, nc: i32, out: usize): void {
  const stride = <usize>N << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const count = nc - j0 < NR ? nc - j0 : NR;
    const panel = out + <usize>j0 * <usize>kc * 4;
    let source = b + <usize>k0 * stride + (<usize>(n0 + j0) << 2);
    if (count == NR) {
      for (let p = 0; p < kc; p++) {
        const target = panel + (<usize>p << 5);
        v128.store(target, v128.load(source));
        v128.store(target, v128.load(source, 16), 16);
        source += stride;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const target = panel + (<usize>p << 5);
        for (let j = 0; j < NR; j++) store<f32>(target + (<usize>j << 2), j < count ? load<f32>(source + (<usize>j << 2)) : 0);
        source += stride;
      }
    }
  }
}

/**
 * Packs the same block from a transposed B ([N, K], any weight dtype): rows n0 .. n0+nc of B,
 * elements k0 .. k0+kc. f16 / bf16 rows are first decoded into `decoded` (NR rows of kc floats;
 * Q8_0 / Q4_0 weights take the integer path of matmul-quantized.ts instead),
 * then transposed into the panel like f32 rows.
 */
export function packTransposedB(
  b: usize, dtype: i32, rowBytes: usize, k0: i32, kc: i32, n0: i32, nc: i32, out: usize, decoded: usize,
): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const count = nc - j0 < NR ? nc - j0 : NR;
    const panel = out + <usize>j0 * <usize>kc * 4;
    let rows = b + <usize>(n0 + j0) * rowBytes + (<usize>k0 << 2);
    let stride = rowBytes;
    if (dtype != DTYPE_F32 || count < NR) {
      // Decode (or copy) the panel's rows into NR × kc floats, zero rows past the end.
      const decodedStride = <usize>kc << 2;
      for (let j = 0; j < NR; j++) {
        const target = decoded + <usize>j * decodedStride;
        if (j < count) decodeRow(dtype, b + <usize>(n0 + j0 + j) * rowBytes, k0, kc, target);
        else memory.fill(target, 0, decodedStride);
      }
      rows = decoded;
      stride = decodedStride;
    }
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const offset = <usize>p << 2;
      const target = panel + (<usize>p << 5);
      storeTransposed4x4(
        v128.load(rows + offset),
        v128.load(rows + stride + offset),
        v128.load(rows + 2 * stride + offset),
        v128.load(rows + 3 * stride + offset),
        target,
        32,
      );
      const upper = rows + 4 * stride + offset;
      storeTransposed4x4(
        v128.load(upper),
        v128.load(upper + stride),
        v128.load(upper + 2 * stride),
        v128.load(upper + 3 * stride),
        target + 16,
        32,
      );
    }
    for (; p < kc; p++) {
      for (let j = 0; j < NR; j++) store<f32>(panel + (<usize>(p * NR + j) << 2), load<f32>(rows + <usize>j * stride + (<usize>p << 2)));
    }
  }
}

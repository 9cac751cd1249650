import { madd } from '../common/simd';

/**
 * The register-blocked core of the f32 matmul: C[4×8] (+)= A[4×kc] · B[kc×8] from packed panels.
 * 8 v128 accumulators + 2 B vectors + 1 broadcast A value = 11 live registers, under the 15 that
 * V8 allocates on x64 (a 6×8 tile spills there and runs at half speed). Measured in L1 on the
 * 2-core AVX-512 box: 53 GFLOP/s with relaxed_madd, 45 with mul + add.
 */
export const MR: i32 = 4;
export const NR: i32 = 8;

/**
 * `a`: kc groups of MR floats (one per row), `b`: kc groups of NR floats, `c`: row-major with a
 * row stride of `cStride` bytes. `accumulate` adds to C instead of overwriting it (K blocks after the first).
 */
export function microKernel4x8(kc: i32, a: usize, b: usize, c: usize, cStride: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // Deliberately not unrolled: unrolling by two lets Binaryen hoist the second step's loads, which
  // pushes the live set past 15 registers and halved the speed (53 → 26 GFLOP/s) in measurement.
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    a += 16;
    b += 32;
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + cStride)); c11 = f32x4.add(c11, v128.load(c + cStride, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * cStride)); c21 = f32x4.add(c21, v128.load(c + 2 * cStride, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * cStride)); c31 = f32x4.add(c31, v128.load(c + 3 * cStride, 16));
  }
  storeTile4x8(c, cStride, c00, c01, c10, c11, c20, c21, c30, c31);
}

/** Stores a 4×8 f32 tile held as rows of two vectors (c<row><half>) at `c`, row stride `cStride` bytes. */
// @ts-ignore: decorator
@inline
export function storeTile4x8(c: usize, cStride: usize, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128): void {
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + cStride, c10); v128.store(c + cStride, c11, 16);
  v128.store(c + 2 * cStride, c20); v128.store(c + 2 * cStride, c21, 16);
  v128.store(c + 3 * cStride, c30); v128.store(c + 3 * cStride, c31, 16);
}

/**
 * An edge tile (fewer than 4 rows or 8 columns): the kernel writes the full tile to `tile`
 * (scratch, stride 32 bytes) and only the `rows` × `columns` corner is merged into C.
 */
export function edgeTile(
  kc: i32, a: usize, b: usize, c: usize, cStride: usize, rows: i32, columns: i32, accumulate: bool, tile: usize,
): void {
  microKernel4x8(kc, a, b, tile, 32, false);
  for (let r = 0; r < rows; r++) {
    const target = c + <usize>r * cStride;
    const source = tile + (<usize>r << 5);
    for (let j = 0; j < columns; j++) {
      const offset = <usize>j << 2;
      const value = load<f32>(source + offset);
      store<f32>(target + offset, accumulate ? load<f32>(target + offset) + value : value);
    }
  }
}

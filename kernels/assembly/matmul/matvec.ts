import { DTYPE_BF16, bf16x4ToF32, f16ToF32, f16x4ToF32 } from '../common/decode';
import { dot4, horizontalSum, madd } from '../common/simd';

/**
 * Matrix–vector products for decode (M = 1, and the few rows of a tiny batch): every weight is
 * read exactly once per row of A, straight from its stored layout, with no packing.
 */

/** out[n] = a · B[n, :] for n in [n0, n1), B [N, K] f32. Four rows share each load of a. */
export function matvecTransposedF32(out: usize, a: usize, b: usize, K: i32, n0: i32, n1: i32): void {
  const rowBytes = <usize>K << 2;
  let n = n0;
  for (; n + 4 <= n1; n += 4) v128.store(out + (<usize>n << 2), dot4(a, b + <usize>n * rowBytes, rowBytes, K));
  for (; n < n1; n++) store<f32>(out + (<usize>n << 2), dotF32(a, b + <usize>n * rowBytes, K));
}

function dotF32(a: usize, b: usize, K: i32): f32 {
  let sum = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4) sum = madd(v128.load(a + (<usize>k << 2)), v128.load(b + (<usize>k << 2)), sum);
  let total = horizontalSum(sum);
  for (; k < K; k++) total += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return total;
}

/**
 * out[j] = Σ_k a[k]·B[k, j] for j in [n0, n1), B [K, N] f32: eight rows of B at a time stream
 * through contiguously and accumulate into out[n0, n1), which stays in L1. (Walking B down
 * 16-column strips instead was 2.3× slower at 4096², the prefetchers losing to the row stride.)
 */
export function matvecF32(out: usize, a: usize, b: usize, K: i32, N: i32, n0: i32, n1: i32): void {
  const stride = <usize>N << 2;
  const first = out + (<usize>n0 << 2);
  const columns = n1 - n0;
  memory.fill(first, 0, <usize>columns << 2);
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    const x = a + (<usize>k << 2);
    const a0 = v128.load32_splat(x), a1 = v128.load32_splat(x, 4), a2 = v128.load32_splat(x, 8), a3 = v128.load32_splat(x, 12);
    const a4 = v128.load32_splat(x, 16), a5 = v128.load32_splat(x, 20), a6 = v128.load32_splat(x, 24), a7 = v128.load32_splat(x, 28);
    const row = b + <usize>k * stride + (<usize>n0 << 2);
    let j = 0;
    for (; j + 4 <= columns; j += 4) {
      const at = <usize>j << 2;
      const r = row + at;
      let sum = madd(a0, v128.load(r), v128.load(first + at));
      sum = madd(a1, v128.load(r + stride), sum);
      sum = madd(a2, v128.load(r + 2 * stride), sum);
      sum = madd(a3, v128.load(r + 3 * stride), sum);
      sum = madd(a4, v128.load(r + 4 * stride), sum);
      sum = madd(a5, v128.load(r + 5 * stride), sum);
      sum = madd(a6, v128.load(r + 6 * stride), sum);
      sum = madd(a7, v128.load(r + 7 * stride), sum);
      v128.store(first + at, sum);
    }
    for (; j < columns; j++) {
      const at = <usize>j << 2;
      let sum = load<f32>(first + at);
      for (let r = 0; r < 8; r++) sum += load<f32>(x + (<usize>r << 2)) * load<f32>(row + <usize>r * stride + at);
      store<f32>(first + at, sum);
    }
  }
  for (; k < K; k++) {
    const value = load<f32>(a + (<usize>k << 2));
    const scale = f32x4.splat(value);
    const row = b + <usize>k * stride + (<usize>n0 << 2);
    let j = 0;
    for (; j + 4 <= columns; j += 4) {
      const at = <usize>j << 2;
      v128.store(first + at, madd(scale, v128.load(row + at), v128.load(first + at)));
    }
    for (; j < columns; j++) {
      const at = <usize>j << 2;
      store<f32>(first + at, load<f32>(first + at) + value * load<f32>(row + at));
    }
  }
}

/** out[n] = a · B[n, :] for B [N, K] in f16 or bf16, decoded four values at a time in registers. */
export function matvecTransposedHalf(out: usize, a: usize, b: usize, dtype: i32, K: i32, n0: i32, n1: i32): void {
  const brain = dtype == DTYPE_BF16;
  const rowBytes = <usize>K << 1;
  let n = n0;
  for (; n + 2 <= n1; n += 2) {
    const r0 = b + <usize>n * rowBytes;
    const r1 = r0 + rowBytes;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const x = v128.load(a + (<usize>k << 2));
      const w0 = v128.load16x4_u(r0 + (<usize>k << 1));
      const w1 = v128.load16x4_u(r1 + (<usize>k << 1));
      s0 = madd(x, brain ? bf16x4ToF32(w0) : f16x4ToF32(w0), s0);
      s1 = madd(x, brain ? bf16x4ToF32(w1) : f16x4ToF32(w1), s1);
    }
    let t0 = horizontalSum(s0), t1 = horizontalSum(s1);
    for (; k < K; k++) {
      const x = load<f32>(a + (<usize>k << 2));
      t0 += x * halfToF32(brain, load<u16>(r0 + (<usize>k << 1)));
      t1 += x * halfToF32(brain, load<u16>(r1 + (<usize>k << 1)));
    }
    store<f32>(out + (<usize>n << 2), t0);
    store<f32>(out + (<usize>n << 2), t1, 4);
  }
  if (n < n1) {
    const r0 = b + <usize>n * rowBytes;
    let s0 = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const w0 = v128.load16x4_u(r0 + (<usize>k << 1));
      s0 = madd(v128.load(a + (<usize>k << 2)), brain ? bf16x4ToF32(w0) : f16x4ToF32(w0), s0);
    }
    let t0 = horizontalSum(s0);
    for (; k < K; k++) t0 += load<f32>(a + (<usize>k << 2)) * halfToF32(brain, load<u16>(r0 + (<usize>k << 1)));
    store<f32>(out + (<usize>n << 2), t0);
  }
}

// @ts-ignore: decorator
@inline
function halfToF32(brain: bool, bits: u16): f32 {
  return brain ? reinterpret<f32>(<u32>bits << 16) : f16ToF32(<u32>bits);
}

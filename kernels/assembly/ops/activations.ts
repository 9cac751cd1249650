import { exp4, expScalar, gelu4, silu4 } from '../common/exp';
import { elementStart, horizontalMax, horizontalSum, partStart } from '../common/simd';

/** silu, gelu, swiglu and row softmax, on the SIMD exp of common/exp.ts; threads take element or row ranges. */

export function silu(thread: i32, threads: i32, out: usize, x: usize, size: i32): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), silu4(v128.load(x + (<usize>i << 2))));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), f32x4.extract_lane(silu4(f32x4.splat(load<f32>(x + (<usize>i << 2)))), 0));
}

export function gelu(thread: i32, threads: i32, out: usize, x: usize, size: i32): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), gelu4(v128.load(x + (<usize>i << 2))));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), f32x4.extract_lane(gelu4(f32x4.splat(load<f32>(x + (<usize>i << 2)))), 0));
}

/** silu(gate) · up. */
export function swiglu(thread: i32, threads: i32, out: usize, gate: usize, up: usize, size: i32): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  for (; i + 4 <= end; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, f32x4.mul(silu4(v128.load(gate + at)), v128.load(up + at)));
  }
  for (; i < end; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, f32x4.extract_lane(silu4(f32x4.splat(load<f32>(gate + at))), 0) * load<f32>(up + at));
  }
}

export function softmax(thread: i32, threads: i32, out: usize, x: usize, rows: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const row = x + <usize>r * rowBytes;
    const target = out + <usize>r * rowBytes;
    let largest = f32x4.splat(-Infinity);
    let c = 0;
    for (; c + 4 <= C; c += 4) largest = f32x4.pmax(largest, v128.load(row + (<usize>c << 2)));
    let maximum = horizontalMax(largest);
    for (; c < C; c++) maximum = max(maximum, load<f32>(row + (<usize>c << 2)));
    const shift = f32x4.splat(maximum);
    let sum = f32x4.splat(0);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const at = <usize>c << 2;
      const e = exp4(f32x4.sub(v128.load(row + at), shift));
      v128.store(target + at, e);
      sum = f32x4.add(sum, e);
    }
    let total = horizontalSum(sum);
    for (; c < C; c++) {
      const e = expScalar(load<f32>(row + (<usize>c << 2)) - maximum);
      store<f32>(target + (<usize>c << 2), e);
      total += e;
    }
    const inverse: f32 = 1 / total;
    const scale = f32x4.splat(inverse);
    c = 0;
    for (; c + 4 <= C; c += 4) v128.store(target + (<usize>c << 2), f32x4.mul(v128.load(target + (<usize>c << 2)), scale));
    for (; c < C; c++) store<f32>(target + (<usize>c << 2), load<f32>(target + (<usize>c << 2)) * inverse);
  }
}

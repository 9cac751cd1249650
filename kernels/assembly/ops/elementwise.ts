import { elementStart, min32 } from '../common/simd';

/**
 * add / mul with b broadcast over a's leading dimensions (b[i % bSize] pairs with a[i]), and scale.
 * Elementwise ops are memory-bound: one pass, vector loads, threads on element ranges.
 */
const ADD: i32 = 0;

export function binary(thread: i32, threads: i32, operation: i32, out: usize, a: usize, b: usize, size: i32, bSize: i32): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  while (i < end) {
    // Walk one repetition of b at a time, from i's offset inside it.
    const offset = i % bSize;
    const stop = min32(end, i + (bSize - offset));
    const bRow = b + (<usize>(offset - i) << 2); // bRow + 4·i addresses b[offset + (i' − i)]
    if (operation == ADD) {
      for (; i + 4 <= stop; i += 4) {
        const at = <usize>i << 2;
        v128.store(out + at, f32x4.add(v128.load(a + at), v128.load(bRow + at)));
      }
      for (; i < stop; i++) store<f32>(out + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) + load<f32>(bRow + (<usize>i << 2)));
    } else {
      for (; i + 4 <= stop; i += 4) {
        const at = <usize>i << 2;
        v128.store(out + at, f32x4.mul(v128.load(a + at), v128.load(bRow + at)));
      }
      for (; i < stop; i++) store<f32>(out + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) * load<f32>(bRow + (<usize>i << 2)));
    }
  }
}

export function scale(thread: i32, threads: i32, out: usize, x: usize, size: i32, factor: f32): void {
  const end = elementStart(size, thread + 1, threads);
  const f = f32x4.splat(factor);
  let i = elementStart(size, thread, threads);
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), f32x4.mul(v128.load(x + (<usize>i << 2)), f));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * factor);
}

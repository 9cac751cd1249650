import { partStart } from '../common/simd';

/**
 * dtable[ids[n]] += dout[n]: threads own ranges of table rows and each scans every id, adding in
 * token order. No atomics, and the same f32 sums whatever the thread count.
 */
export function embeddingBackward(thread: i32, threads: i32, dtable: usize, dout: usize, ids: usize, N: i32, V: i32, C: i32): void {
  const v0 = partStart(V, thread, threads);
  const v1 = partStart(V, thread + 1, threads);
  const rowBytes = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    const id = load<i32>(ids + (<usize>n << 2));
    if (id < v0 || id >= v1) continue;
    const target = dtable + <usize>id * rowBytes;
    const source = dout + <usize>n * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const at = <usize>c << 2;
      v128.store(target + at, f32x4.add(v128.load(target + at), v128.load(source + at)));
    }
    for (; c < C; c++) store<f32>(target + (<usize>c << 2), load<f32>(target + (<usize>c << 2)) + load<f32>(source + (<usize>c << 2)));
  }
}

import { decodeRow, rowBytes } from '../common/decode';
import { partStart } from '../common/simd';

/** out[n] = table[ids[n]], decoded to f32 from the table's dtype; ids outside [0, V) give a zero row. */
export function embedding(thread: i32, threads: i32, out: usize, table: usize, ids: usize, N: i32, V: i32, C: i32, dtype: i32): void {
  const tableRowBytes = <usize>rowBytes(dtype, C);
  const outRowBytes = <usize>C << 2;
  const end = partStart(N, thread + 1, threads);
  for (let n = partStart(N, thread, threads); n < end; n++) {
    const id = load<i32>(ids + (<usize>n << 2));
    const target = out + <usize>n * outRowBytes;
    if (id >= 0 && id < V) decodeRow(dtype, table + <usize>id * tableRowBytes, 0, C, target);
    else memory.fill(target, 0, outRowBytes);
  }
}

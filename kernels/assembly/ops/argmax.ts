import { horizontalMax, partStart } from '../common/simd';

/** Index of each row's largest value, the lowest on ties: a vector max, then a scan for its first occurrence. */
export function argmax(thread: i32, threads: i32, out: usize, x: usize, rows: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const row = x + <usize>r * rowBytes;
    let largest = f32x4.splat(-Infinity);
    let c = 0;
    for (; c + 4 <= C; c += 4) largest = f32x4.pmax(largest, v128.load(row + (<usize>c << 2)));
    let maximum = horizontalMax(largest);
    for (; c < C; c++) maximum = max(maximum, load<f32>(row + (<usize>c << 2)));
    // With NaNs in the row no value equals the maximum; fall back to the strict '>' scan.
    let best = -1;
    for (c = 0; c < C; c++) {
      if (load<f32>(row + (<usize>c << 2)) == maximum) {
        best = c;
        break;
      }
    }
    if (best < 0) {
      best = 0;
      for (c = 1; c < C; c++) if (load<f32>(row + (<usize>c << 2)) > load<f32>(row + (<usize>best << 2))) best = c;
    }
    store<i32>(out + (<usize>r << 2), best);
  }
}

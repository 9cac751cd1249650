import { horizontalSum, madd, partStart } from '../common/simd';

/**
 * rmsnorm backward in two kernels. `rmsnormBackwardRows` (threads on rows): dx += r·w·dy − x·r³/C·Σ dy·w·x
 * and r = (Σx²/C + eps)^(−1/2) saved per row; `rmsnormBackwardWeight` (threads on columns):
 * dweight[c] += Σ_rows dy·x·r in row order — the same sum whatever the thread count.
 */
export function rmsnormBackwardRows(
  thread: i32, threads: i32, dx: usize, dout: usize, x: usize, weight: usize, inverses: usize, rows: i32, C: i32, eps: f32,
): void {
  const rowBytes = <usize>C << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const row = x + <usize>r * rowBytes;
    const dy = dout + <usize>r * rowBytes;
    const target = dx + <usize>r * rowBytes;
    let squares = f32x4.splat(0), projection = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const at = <usize>c << 2;
      const value = v128.load(row + at);
      squares = madd(value, value, squares);
      projection = madd(f32x4.mul(v128.load(dy + at), v128.load(weight + at)), value, projection);
    }
    let sumSquares = horizontalSum(squares), sumProjection = horizontalSum(projection);
    for (; c < C; c++) {
      const at = <usize>c << 2;
      const value = load<f32>(row + at);
      sumSquares += value * value;
      sumProjection += load<f32>(dy + at) * load<f32>(weight + at) * value;
    }
    const inverse = 1 / Math.sqrt(<f64>sumSquares / <f64>C + <f64>eps);
    store<f32>(inverses + (<usize>r << 2), <f32>inverse);
    const scale = f32x4.splat(<f32>inverse);
    const correction = <f32>((<f64>sumProjection * inverse * inverse * inverse) / <f64>C);
    const negativeCorrection = f32x4.splat(-correction);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const at = <usize>c << 2;
      const term = f32x4.mul(f32x4.mul(v128.load(dy + at), v128.load(weight + at)), scale);
      v128.store(target + at, f32x4.add(v128.load(target + at), madd(v128.load(row + at), negativeCorrection, term)));
    }
    for (; c < C; c++) {
      const at = <usize>c << 2;
      store<f32>(target + at, load<f32>(target + at) + load<f32>(dy + at) * load<f32>(weight + at) * <f32>inverse - load<f32>(row + at) * correction);
    }
  }
}

export function rmsnormBackwardWeight(thread: i32, threads: i32, dweight: usize, dout: usize, x: usize, inverses: usize, rows: i32, C: i32): void {
  // Columns in groups of four so each thread runs whole vectors.
  const groups = (C + 3) >> 2;
  const c0 = partStart(groups, thread, threads) << 2;
  const c1 = min<i32>(C, partStart(groups, thread + 1, threads) << 2);
  const rowBytes = <usize>C << 2;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    let sum = f32x4.splat(0);
    const at = <usize>c << 2;
    for (let r = 0; r < rows; r++) {
      const offset = <usize>r * rowBytes + at;
      sum = madd(f32x4.mul(v128.load(dout + offset), v128.load(x + offset)), v128.load32_splat(inverses + (<usize>r << 2)), sum);
    }
    v128.store(dweight + at, f32x4.add(v128.load(dweight + at), sum));
  }
  for (; c < c1; c++) {
    let sum: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const offset = <usize>r * rowBytes + (<usize>c << 2);
      sum += load<f32>(dout + offset) * load<f32>(x + offset) * load<f32>(inverses + (<usize>r << 2));
    }
    store<f32>(dweight + (<usize>c << 2), load<f32>(dweight + (<usize>c << 2)) + sum);
  }
}

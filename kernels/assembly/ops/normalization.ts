import { horizontalSum, madd, partStart } from '../common/simd';

/** rmsnorm (also after a residual add) and layernorm over the last dimension; threads take ranges of rows. */

export function rmsnorm(thread: i32, threads: i32, out: usize, x: usize, weight: usize, rows: i32, C: i32, eps: f32): void {
  const rowBytes = <usize>C << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const row = x + <usize>r * rowBytes;
    const target = out + <usize>r * rowBytes;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    let c = 0;
    for (; c + 8 <= C; c += 8) {
      const a = v128.load(row + (<usize>c << 2));
      const b = v128.load(row + (<usize>c << 2), 16);
      s0 = madd(a, a, s0);
      s1 = madd(b, b, s1);
    }
    let squares = horizontalSum(f32x4.add(s0, s1));
    for (; c < C; c++) {
      const value = load<f32>(row + (<usize>c << 2));
      squares += value * value;
    }
    scaleRow(target, row, weight, C, <f32>(1 / Math.sqrt(<f64>squares / <f64>C + <f64>eps)));
  }
}

/** target[c] = row[c] · inverse · weight[c]. */
// @ts-ignore: decorator
@inline
function scaleRow(target: usize, row: usize, weight: usize, C: i32, inverse: f32): void {
  const scale = f32x4.splat(inverse);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const offset = <usize>c << 2;
    v128.store(target + offset, f32x4.mul(f32x4.mul(v128.load(row + offset), scale), v128.load(weight + offset)));
  }
  for (; c < C; c++) {
    const offset = <usize>c << 2;
    store<f32>(target + offset, load<f32>(row + offset) * inverse * load<f32>(weight + offset));
  }
}

/** residual += x in place (rows, C), then out = rmsnorm(residual) · weight: the sum is squared as it is stored. */
export function addRmsnorm(thread: i32, threads: i32, out: usize, residual: usize, x: usize, weight: usize, rows: i32, C: i32, eps: f32): void {
  const rowBytes = <usize>C << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const row = residual + <usize>r * rowBytes;
    const addend = x + <usize>r * rowBytes;
    let squares4 = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const offset = <usize>c << 2;
      const sum = f32x4.add(v128.load(row + offset), v128.load(addend + offset));
      v128.store(row + offset, sum);
      squares4 = madd(sum, sum, squares4);
    }
    let squares = horizontalSum(squares4);
    for (; c < C; c++) {
      const offset = <usize>c << 2;
      const sum = load<f32>(row + offset) + load<f32>(addend + offset);
      store<f32>(row + offset, sum);
      squares += sum * sum;
    }
    scaleRow(out + <usize>r * rowBytes, row, weight, C, <f32>(1 / Math.sqrt(<f64>squares / <f64>C + <f64>eps)));
  }
}

/** Two passes (mean, then the variance around it): inputs with a large mean keep their precision. */
export function layernorm(
  thread: i32, threads: i32, out: usize, x: usize, weight: usize, bias: usize, rows: i32, C: i32, eps: f32,
): void {
  const rowBytes = <usize>C << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const row = x + <usize>r * rowBytes;
    const target = out + <usize>r * rowBytes;
    let sum = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) sum = f32x4.add(sum, v128.load(row + (<usize>c << 2)));
    let total = horizontalSum(sum);
    for (; c < C; c++) total += load<f32>(row + (<usize>c << 2));
    const mean = total / <f32>C;
    const meanVector = f32x4.splat(mean);
    let squares = f32x4.splat(0);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const centred = f32x4.sub(v128.load(row + (<usize>c << 2)), meanVector);
      squares = madd(centred, centred, squares);
    }
    let variance = horizontalSum(squares);
    for (; c < C; c++) {
      const centred = load<f32>(row + (<usize>c << 2)) - mean;
      variance += centred * centred;
    }
    const inverse = <f32>(1 / Math.sqrt(<f64>variance / <f64>C + <f64>eps));
    const scale = f32x4.splat(inverse);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const offset = <usize>c << 2;
      const normalised = f32x4.mul(f32x4.sub(v128.load(row + offset), meanVector), scale);
      v128.store(target + offset, madd(normalised, v128.load(weight + offset), v128.load(bias + offset)));
    }
    for (; c < C; c++) {
      const offset = <usize>c << 2;
      store<f32>(target + offset, (load<f32>(row + offset) - mean) * inverse * load<f32>(weight + offset) + load<f32>(bias + offset));
    }
  }
}

import { exp4, expScalar } from '../common/exp';
import { logScalar } from '../common/math64';
import { horizontalMax, horizontalSum, madd, partStart } from '../common/simd';

/**
 * Cross-entropy, fused: one row per work unit, logsumexp in two passes (max, then Σ e^(z − max)),
 * the row's loss written to `rowLosses` (the host sums them in f64, in row order), and — when
 * dlogits ≠ 0 — dlogits += factor · (softmax − onehot) in a third pass, without storing probabilities.
 * Rows whose target is outside [0, V) are ignored (loss 0, no gradient).
 */
export function crossEntropy(
  thread: i32, threads: i32, rowLosses: usize, dlogits: usize, logits: usize, targets: usize, rows: i32, V: i32, factor: f32,
): void {
  const rowBytes = <usize>V << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const target = load<i32>(targets + (<usize>r << 2));
    if (target < 0 || target >= V) {
      store<f32>(rowLosses + (<usize>r << 2), 0);
      continue;
    }
    const row = logits + <usize>r * rowBytes;
    let largest = f32x4.splat(-Infinity);
    let c = 0;
    for (; c + 4 <= V; c += 4) largest = f32x4.pmax(largest, v128.load(row + (<usize>c << 2)));
    let maximum = horizontalMax(largest);
    for (; c < V; c++) maximum = max(maximum, load<f32>(row + (<usize>c << 2)));
    const shift = f32x4.splat(maximum);
    let sum = f32x4.splat(0);
    c = 0;
    for (; c + 4 <= V; c += 4) sum = f32x4.add(sum, exp4(f32x4.sub(v128.load(row + (<usize>c << 2)), shift)));
    let total = horizontalSum(sum);
    for (; c < V; c++) total += expScalar(load<f32>(row + (<usize>c << 2)) - maximum);
    const lse = maximum + <f32>logScalar(<f64>total);
    store<f32>(rowLosses + (<usize>r << 2), lse - load<f32>(row + (<usize>target << 2)));
    if (dlogits == 0) continue;
    const gradient = dlogits + <usize>r * rowBytes;
    const lseVector = f32x4.splat(lse);
    const f = f32x4.splat(factor);
    c = 0;
    for (; c + 4 <= V; c += 4) {
      const at = <usize>c << 2;
      const p = exp4(f32x4.sub(v128.load(row + at), lseVector));
      v128.store(gradient + at, madd(p, f, v128.load(gradient + at)));
    }
    for (; c < V; c++) {
      const at = <usize>c << 2;
      store<f32>(gradient + at, load<f32>(gradient + at) + factor * expScalar(load<f32>(row + at) - lse));
    }
    const at = <usize>target << 2;
    store<f32>(gradient + at, load<f32>(gradient + at) - factor);
  }
}

/** dx += y ⊙ (dout − Σ dout ⊙ y), rows split across threads. */
export function softmaxBackward(thread: i32, threads: i32, dx: usize, dout: usize, y: usize, rows: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    const offset = <usize>r * rowBytes;
    let dots = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) dots = madd(v128.load(dout + offset + (<usize>c << 2)), v128.load(y + offset + (<usize>c << 2)), dots);
    let dot = horizontalSum(dots);
    for (; c < C; c++) dot += load<f32>(dout + offset + (<usize>c << 2)) * load<f32>(y + offset + (<usize>c << 2));
    const shift = f32x4.splat(dot);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const at = offset + (<usize>c << 2);
      v128.store(dx + at, madd(v128.load(y + at), f32x4.sub(v128.load(dout + at), shift), v128.load(dx + at)));
    }
    for (; c < C; c++) {
      const at = offset + (<usize>c << 2);
      store<f32>(dx + at, load<f32>(dx + at) + load<f32>(y + at) * (load<f32>(dout + at) - dot));
    }
  }
}

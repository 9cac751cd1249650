import { elementStart, horizontalSum, madd } from '../common/simd';

/**
 * AdamW (PyTorch's update order: decoupled decay, moments, bias-corrected step) and the sum of
 * squares behind global-norm clipping. The host folds the step-dependent constants:
 * stepSize = lr / (1 − β1^t), inverseCorrection2 = 1 / √(1 − β2^t), decay = 1 − lr·weightDecay.
 */
export function adamw(
  thread: i32, threads: i32, params: usize, grads: usize, m: usize, v: usize, size: i32,
  beta1: f32, beta2: f32, eps: f32, stepSize: f32, inverseCorrection2: f32, decay: f32, gradScale: f32,
): void {
  const end = elementStart(size, thread + 1, threads);
  for (let i = elementStart(size, thread, threads); i < end; i++) {
    const at = <usize>i << 2;
    const g = load<f32>(grads + at) * gradScale;
    const mi = beta1 * load<f32>(m + at) + (1 - beta1) * g;
    const vi = beta2 * load<f32>(v + at) + (1 - beta2) * g * g;
    store<f32>(m + at, mi);
    store<f32>(v + at, vi);
    store<f32>(params + at, load<f32>(params + at) * decay - stepSize * (mi / (Mathf.sqrt(vi) * inverseCorrection2 + eps)));
  }
}

/** Σ x² over `size` floats, four f32 lanes per f64 partial sum flushed every 1024 elements. */
export function squaredSum(x: usize, size: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i < size) {
    const stop = min<i32>(size, i + 1024);
    let lanes = f32x4.splat(0);
    for (; i + 4 <= stop; i += 4) {
      const value = v128.load(x + (<usize>i << 2));
      lanes = madd(value, value, lanes);
    }
    let partial = <f64>horizontalSum(lanes);
    for (; i < stop; i++) partial += <f64>load<f32>(x + (<usize>i << 2)) * <f64>load<f32>(x + (<usize>i << 2));
    total += partial;
  }
  return total;
}

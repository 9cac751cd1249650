import { expScalar64, logScalar } from '../common/math64';
import { partStart } from '../common/simd';

/**
 * Distillation losses (training-ops.ts states the formulas and conventions), one row per work unit.
 * Per row: student log-probabilities at temperature τ, the teacher's buckets (V tokens, or the
 * top-k tokens plus a tail bucket), then per bucket the divergence and g_b = ∂L/∂q_b, and finally
 * dlogits += factor · p_c · (g_bucket(c) − Σ_b q_b g_b). Scalar code in f64, exp and log included (it runs once per
 * token and vocabulary entry, far from the matmuls' cost); threads take ranges of rows.
 * Scratch per thread: bucketOf i32[V], then logQ, logP, g as f64[V + 1].
 */
const FORWARD_KL: i32 = 0;
const REVERSE_KL: i32 = 1;
const TEACHER_TAIL_FLOOR: f64 = 1e-6;

export function distillationScratchBytes(V: i32): i32 {
  return ((V * 4 + 15) & ~15) + 3 * (V + 1) * 8;
}

function logSumExp(row: usize, V: i32, inverseTemperature: f64): f64 {
  let maximum: f64 = -Infinity;
  for (let c = 0; c < V; c++) maximum = max(maximum, <f64>load<f32>(row + (<usize>c << 2)) * inverseTemperature);
  let total: f64 = 0;
  for (let c = 0; c < V; c++) total += expScalar64(<f64>load<f32>(row + (<usize>c << 2)) * inverseTemperature - maximum);
  return maximum + logScalar(total);
}

export function distillation(
  thread: i32, threads: i32, rowLosses: usize, dlogits: usize, logits: usize,
  teacherLogits: usize, teacherIndices: usize, teacherLogprobs: usize, mask: usize,
  rows: i32, V: i32, k: i32, divergence: i32, beta: f64, temperature: f64, factor: f64, scratch: usize, scratchStride: usize,
): void {
  const bucketOf = scratch + <usize>thread * scratchStride;
  const logQ = bucketOf + <usize>((V * 4 + 15) & ~15);
  const logP = logQ + <usize>(V + 1) * 8;
  const g = logP + <usize>(V + 1) * 8;
  const full = teacherLogits != 0;
  const buckets = full || k == V ? V : k + 1;
  const inverseTemperature = 1 / temperature;
  const rowBytes = <usize>V << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let r = partStart(rows, thread, threads); r < end; r++) {
    if (mask != 0 && load<i32>(mask + (<usize>r << 2)) == 0) {
      store<f32>(rowLosses + (<usize>r << 2), 0);
      continue;
    }
    const row = logits + <usize>r * rowBytes;
    const lse = logSumExp(row, V, inverseTemperature);
    if (full) {
      const teacherRow = teacherLogits + <usize>r * rowBytes;
      const teacherLse = logSumExp(teacherRow, V, inverseTemperature);
      for (let c = 0; c < V; c++) {
        store<i32>(bucketOf + (<usize>c << 2), c);
        store<f64>(logQ + (<usize>c << 3), <f64>load<f32>(row + (<usize>c << 2)) * inverseTemperature - lse);
        store<f64>(logP + (<usize>c << 3), <f64>load<f32>(teacherRow + (<usize>c << 2)) * inverseTemperature - teacherLse);
      }
    } else {
      for (let c = 0; c < V; c++) store<i32>(bucketOf + (<usize>c << 2), k);
      let teacherMass: f64 = 0;
      for (let i = 0; i < k; i++) {
        const at = <usize>(r * k + i) << 2;
        const index = load<i32>(teacherIndices + at);
        store<i32>(bucketOf + (<usize>index << 2), i);
        store<f64>(logQ + (<usize>i << 3), <f64>load<f32>(row + (<usize>index << 2)) * inverseTemperature - lse);
        const lp = <f64>load<f32>(teacherLogprobs + at);
        store<f64>(logP + (<usize>i << 3), lp);
        teacherMass += expScalar64(lp);
      }
      if (k < V) {
        let tail: f64 = 0;
        for (let c = 0; c < V; c++) {
          if (load<i32>(bucketOf + (<usize>c << 2)) == k) tail += expScalar64(<f64>load<f32>(row + (<usize>c << 2)) * inverseTemperature - lse);
        }
        store<f64>(logQ + (<usize>k << 3), logScalar(tail));
        store<f64>(logP + (<usize>k << 3), logScalar(max(TEACHER_TAIL_FLOOR, 1 - teacherMass)));
      }
    }
    let loss: f64 = 0;
    let expected: f64 = 0;
    for (let b = 0; b < buckets; b++) {
      const lq = load<f64>(logQ + (<usize>b << 3));
      const lp = load<f64>(logP + (<usize>b << 3));
      const q = expScalar64(lq);
      const p = expScalar64(lp);
      let gradient: f64 = 0;
      if (divergence == FORWARD_KL) {
        if (p > 0) {
          loss += p * (lp - lq);
          gradient = -expScalar64(lp - lq);
        }
      } else if (divergence == REVERSE_KL) {
        if (q > 0) {
          loss += q * (lq - lp);
          gradient = lq - lp + 1;
        }
      } else {
        const lm = logScalar(beta * p + (1 - beta) * q);
        if (p > 0) loss += beta * p * (lp - lm);
        if (q > 0) {
          loss += (1 - beta) * q * (lq - lm);
          gradient = (1 - beta) * (lq - lm);
        }
      }
      store<f64>(g + (<usize>b << 3), gradient);
      if (q > 0) expected += q * gradient;
    }
    store<f32>(rowLosses + (<usize>r << 2), <f32>loss);
    if (dlogits == 0) continue;
    const target = dlogits + <usize>r * rowBytes;
    for (let c = 0; c < V; c++) {
      const p = expScalar64(<f64>load<f32>(row + (<usize>c << 2)) * inverseTemperature - lse);
      const gradient = load<f64>(g + (<usize>load<i32>(bucketOf + (<usize>c << 2)) << 3));
      const at = target + (<usize>c << 2);
      store<f32>(at, load<f32>(at) + <f32>(factor * p * (gradient - expected)));
    }
  }
}

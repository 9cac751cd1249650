/**
 * Reference fused losses and the optimizer step, in f64. The loss formulas and their conventions
 * (mean over counted rows, τ², top-k tail bucket) are documented on the params in training-ops.ts.
 */
import type { Divergence } from '../training-ops.js';
import type { FloatArray } from './kernels.js';

function logSumExp(values: FloatArray, start: number, count: number, divide = 1): number {
  let max = -Infinity;
  for (let c = 0; c < count; c++) max = Math.max(max, values[start + c]! / divide);
  if (max === -Infinity) return -Infinity;
  let total = 0;
  for (let c = 0; c < count; c++) total += Math.exp(values[start + c]! / divide - max);
  return max + Math.log(total);
}

/** Returns the mean loss; dlogits (if given) += dloss/count·(softmax − onehot). */
export function crossEntropy(
  dlogits: FloatArray | undefined, // [rows, V]
  logits: FloatArray, // [rows, V]
  targets: Int32Array, // [rows]
  rows: number,
  V: number,
  dloss: number,
): number {
  let count = 0;
  for (let r = 0; r < rows; r++) if (targets[r]! >= 0 && targets[r]! < V) count++;
  if (count === 0) return 0;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const target = targets[r]!;
    if (target < 0 || target >= V) continue;
    const lse = logSumExp(logits, r * V, V);
    loss += lse - logits[r * V + target]!;
    if (!dlogits) continue;
    const factor = dloss / count;
    for (let c = 0; c < V; c++) dlogits[r * V + c]! += factor * (Math.exp(logits[r * V + c]! - lse) - (c === target ? 1 : 0));
  }
  return loss / count;
}

export interface Teacher {
  /** [rows, V] */
  logits?: FloatArray;
  /** [rows, k] */
  indices?: Int32Array;
  /** [rows, k], already at the temperature */
  logprobs?: FloatArray;
}

/**
 * Per bucket b: log q_b (student), log P_b (teacher). Returns the row's divergence L and writes
 * g_b = ∂L/∂q_b into `g`. Derivatives: forward −P/q; reverse log q − log P + 1; jsd (1−β)·log(q/M).
 */
function divergenceRow(logQ: Float64Array, logP: Float64Array, buckets: number, divergence: Divergence, beta: number, g: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < buckets; i++) {
    const [lq, lp] = [logQ[i]!, logP[i]!];
    const [q, p] = [Math.exp(lq), Math.exp(lp)];
    if (divergence === 'forward-kl') {
      if (p > 0) loss += p * (lp - lq);
      g[i] = p > 0 ? -Math.exp(lp - lq) : 0;
    } else if (divergence === 'reverse-kl') {
      if (q > 0) loss += q * (lq - lp);
      g[i] = q > 0 ? lq - lp + 1 : 0;
    } else {
      const m = beta * p + (1 - beta) * q;
      const lm = Math.log(m);
      if (p > 0) loss += beta * p * (lp - lm);
      if (q > 0) loss += (1 - beta) * q * (lq - lm);
      g[i] = q > 0 ? (1 - beta) * (lq - lm) : 0;
    }
  }
  return loss;
}

/**
 * The least teacher tail mass: top-k log-probabilities rounded to f32 do not sum exactly to the
 * mass they cover, and a zero tail would make reverse KL infinite wherever the student puts mass
 * outside the teacher's top-k.
 */
export const TEACHER_TAIL_FLOOR = 1e-6;

export function distillationLoss(
  dlogits: FloatArray | undefined,
  logits: FloatArray, // [rows, V]
  teacher: Teacher,
  mask: Int32Array | undefined,
  rows: number,
  V: number,
  k: number,
  divergence: Divergence,
  beta: number,
  temperature: number,
  dloss: number,
): number {
  let count = 0;
  for (let r = 0; r < rows; r++) if (!mask || mask[r] !== 0) count++;
  if (count === 0) return 0;
  const full = teacher.logits !== undefined;
  // k = V lists every token: no tail bucket (its teacher mass would be rounding noise).
  const buckets = full || k === V ? V : k + 1;
  const [logQ, logP, g] = [new Float64Array(buckets), new Float64Array(buckets), new Float64Array(buckets)];
  const bucketOf = new Int32Array(V);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    if (mask && mask[r] === 0) continue;
    const lse = logSumExp(logits, r * V, V, temperature);
    const logp = (c: number) => logits[r * V + c]! / temperature - lse;
    if (full) {
      const teacherLse = logSumExp(teacher.logits!, r * V, V, temperature);
      for (let c = 0; c < V; c++) {
        bucketOf[c] = c;
        logQ[c] = logp(c);
        logP[c] = teacher.logits![r * V + c]! / temperature - teacherLse;
      }
    } else {
      bucketOf.fill(k);
      let teacherMass = 0;
      for (let i = 0; i < k; i++) {
        const index = teacher.indices![r * k + i]!;
        bucketOf[index] = i;
        logQ[i] = logp(index);
        logP[i] = teacher.logprobs![r * k + i]!;
        teacherMass += Math.exp(logP[i]!);
      }
      if (k < V) {
        let tail = 0;
        for (let c = 0; c < V; c++) if (bucketOf[c] === k) tail += Math.exp(logp(c));
        logQ[k] = Math.log(tail);
        logP[k] = Math.log(Math.max(TEACHER_TAIL_FLOOR, 1 - teacherMass));
      }
    }
    loss += divergenceRow(logQ, logP, buckets, divergence, beta, g);
    if (!dlogits) continue;
    let expected = 0;
    for (let i = 0; i < buckets; i++) if (logQ[i]! > -Infinity) expected += Math.exp(logQ[i]!) * g[i]!;
    // ∂L/∂z_c = (1/τ)·p_c·(g_bucket(c) − Σ_b q_b g_b); the τ² of the loss leaves a factor τ.
    const factor = (dloss * temperature) / count;
    for (let c = 0; c < V; c++) dlogits[r * V + c]! += factor * Math.exp(logp(c)) * (g[bucketOf[c]!]! - expected);
  }
  return (temperature * temperature * loss) / count;
}

export interface AdamWSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
  /** gradScale × the clipping factor */
  gradScale: number;
}

/** PyTorch's torch.optim.AdamW (decoupled decay applied first, bias-corrected moments). */
export function adamw(params: FloatArray, grads: FloatArray, m: FloatArray, v: FloatArray, settings: AdamWSettings): void {
  const { learningRate, beta1, beta2, eps, weightDecay, step, gradScale } = settings;
  const correction1 = 1 - Math.pow(beta1, step);
  const correction2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < params.length; i++) {
    const g = grads[i]! * gradScale;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const decayed = params[i]! * (1 - learningRate * weightDecay);
    params[i] = decayed - (learningRate / correction1) * (mi / (Math.sqrt(vi / correction2) + eps));
  }
}

/** PyTorch's clip_grad_norm_ factor: min(1, maxNorm / (‖g‖ + 1e-6)). */
export function clipFactor(sumOfSquares: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (Math.sqrt(sumOfSquares) + 1e-6));
}

export function sumOfSquares(arrays: readonly FloatArray[]): number {
  let total = 0;
  for (const array of arrays) for (let i = 0; i < array.length; i++) total += array[i]! ** 2;
  return total;
}

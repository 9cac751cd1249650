import * as losses from '../reference/loss-kernels.js';
import type { Divergence } from '../training-ops.js';
import type { BackwardCase, ObjectiveInputs } from './backward-case.js';
import { f32, gradientOf, i32, size, valueOutput } from './backward-case.js';
import type { Random } from './random.js';

/** Cases of the fused losses (checked by finite differences), AdamW, sumOfSquares and fill. */

/**
 * A loss is one scalar, so its relative error is not averaged over many elements as the norm-wise
 * error of an elementwise op is; and WGSL guarantees exp and log to a few ulps only. 1e-7 (~1.7 ulp
 * of f32) failed on SwiftShader for a reverse-KL case at 1.04e-7 (seed 375225411); 3e-7 is ~5 ulp.
 */
const LOSS_TOLERANCE = 3e-7;
const f64 = (inputs: ObjectiveInputs, name: string) => inputs[name] as Float64Array;

function crossEntropy(random: Random): BackwardCase {
  const [rows, V] = [random.int(1, 12), random.pick([1, random.int(2, 40), random.int(41, 300)])];
  const targets = random.ints(rows, V);
  for (let r = 0; r < rows; r++) if (random.next() < 0.25) targets[r] = random.pick([-100, -100, V]);
  const dloss = random.pick([1, 0.25]);
  const withGradient = random.next() < 0.85;
  return {
    op: 'crossEntropy',
    label: `logits[${rows}, ${V}] dloss=${dloss}${withGradient ? '' : ' (loss only)'}`,
    inputs: { logits: f32([rows, V], random.normals(rows * V, 3)), targets: i32([rows], targets) },
    outputs: { loss: valueOutput([1], undefined, dloss), ...(withGradient ? { dlogits: gradientOf(random, [rows, V], 'logits', dloss / rows) } : {}) },
    run: (backend, t) => backend.crossEntropy({ loss: t.loss!, dlogits: t.dlogits, logits: t.logits!, targets: t.targets!, dloss }),
    objective: (x) => dloss * losses.crossEntropy(undefined, f64(x, 'logits'), x.targets as Int32Array, rows, V, 1),
    tolerance: LOSS_TOLERANCE,
  };
}

/** Teacher log-probabilities at temperature τ, and the top-k of them (distinct indices). */
function topK(random: Random, logits: Float32Array, rows: number, V: number, k: number, temperature: number) {
  const indices = new Int32Array(rows * k);
  const logprobs = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(logits.subarray(r * V, (r + 1) * V), (value) => value / temperature);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((sum, value) => sum + Math.exp(value - max), 0));
    const order = row.map((_, i) => i).sort((a, b) => row[b]! - row[a]!);
    // Mostly the true top-k; sometimes an arbitrary subset (the kernels must not assume an order).
    const chosen = random.next() < 0.7 ? order.slice(0, k) : order.sort(() => random.next() - 0.5).slice(0, k);
    chosen.forEach((index, i) => {
      indices[r * k + i] = index;
      logprobs[r * k + i] = row[index]! - lse;
    });
  }
  return { indices, logprobs };
}

function distillationLoss(random: Random): BackwardCase {
  const divergence = random.pick<Divergence>(['forward-kl', 'reverse-kl', 'jsd']);
  const [rows, V] = [random.int(1, 8), random.pick([2, random.int(3, 40), random.int(41, 200)])];
  const temperature = random.pick([1, 1, 2, 0.7]);
  const beta = divergence === 'jsd' ? random.pick([0.5, 0.1, 0.9]) : 0.5;
  const topKMode = random.next() < 0.5;
  const k = topKMode ? random.int(1, V) : V;
  const teacherLogits = random.normals(rows * V, 3);
  const mask = random.next() < 0.4 ? Int32Array.from({ length: rows }, () => (random.next() < 0.7 ? 1 : 0)) : undefined;
  const dloss = random.pick([1, 0.5]);
  const teacher = topKMode ? topK(random, teacherLogits, rows, V, k, temperature) : undefined;
  const withGradient = random.next() < 0.9;
  return {
    op: 'distillationLoss',
    label: `${divergence}${divergence === 'jsd' ? ` β=${beta}` : ''} τ=${temperature} logits[${rows}, ${V}] ${topKMode ? `top-${k}` : 'full'}${mask ? ' masked' : ''}`,
    inputs: {
      logits: f32([rows, V], random.normals(rows * V, 3)),
      ...(teacher ? { teacherIndices: i32([rows, k], teacher.indices), teacherLogprobs: f32([rows, k], teacher.logprobs) } : { teacherLogits: f32([rows, V], teacherLogits) }),
      ...(mask ? { mask: i32([rows], mask) } : {}),
    },
    outputs: { loss: valueOutput([1], undefined, dloss), ...(withGradient ? { dlogits: gradientOf(random, [rows, V], 'logits', dloss / rows) } : {}) },
    run: (backend, t) =>
      backend.distillationLoss({
        loss: t.loss!,
        dlogits: t.dlogits,
        logits: t.logits!,
        teacherLogits: t.teacherLogits,
        teacherIndices: t.teacherIndices,
        teacherLogprobs: t.teacherLogprobs,
        mask: t.mask,
        divergence,
        beta,
        temperature,
        dloss,
      }),
    objective: (x) => {
      const teacherInputs = { logits: x.teacherLogits as Float64Array | undefined, indices: x.teacherIndices as Int32Array | undefined, logprobs: x.teacherLogprobs as Float64Array | undefined };
      return dloss * losses.distillationLoss(undefined, f64(x, 'logits'), teacherInputs, x.mask as Int32Array | undefined, rows, V, k, divergence, beta, temperature, 1);
    },
    tolerance: LOSS_TOLERANCE,
  };
}

function adamw(random: Random): BackwardCase {
  const shape = random.pick([[random.int(1, 9)], [random.int(1, 500)], [random.int(1, 20), random.int(1, 40)]]);
  const n = size(shape);
  const variance = Float32Array.from(random.floats(n), (value) => value * value * 0.01);
  const [step, learningRate, weightDecay] = [random.int(1, 200), random.pick([1e-3, 3e-4]), random.pick([0, 0.1])];
  const gradScale = random.pick([1, 0.5]);
  const clipped = random.next() < 0.5;
  const sumOfSquares = Float32Array.of(random.pick([0.5, 40]));
  return {
    op: 'adamw',
    label: `params[${shape}] step=${step} wd=${weightDecay}${clipped ? ` clip(‖g‖²=${sumOfSquares[0]})` : ''}`,
    inputs: { grads: f32(shape, random.normals(n)), ...(clipped ? { sumOfSquares: f32([1], sumOfSquares) } : {}) },
    outputs: {
      params: valueOutput(shape, random.normals(n)),
      m: valueOutput(shape, random.normals(n, 0.1)),
      v: valueOutput(shape, variance),
    },
    run: (backend, t) =>
      backend.adamw({
        params: t.params!,
        grads: t.grads!,
        m: t.m!,
        v: t.v!,
        learningRate,
        beta1: 0.9,
        beta2: 0.95,
        eps: 1e-8,
        weightDecay,
        step,
        gradScale,
        clip: clipped ? { sumOfSquares: t.sumOfSquares!, maxNorm: 1 } : undefined,
      }),
    tolerance: 1e-10,
  };
}

function sumOfSquares(random: Random): BackwardCase {
  const count = random.int(1, 4);
  const shapes = Array.from({ length: count }, () => random.pick([[random.int(1, 9)], [random.int(1, 3000)], [random.int(1, 30), random.int(1, 50)]]));
  const inputs = Object.fromEntries(shapes.map((shape, i) => [`x${i}`, f32(shape, random.normals(size(shape)))]));
  return {
    op: 'sumOfSquares',
    label: shapes.map((shape) => `[${shape}]`).join(' '),
    inputs,
    outputs: { out: valueOutput([1]) },
    run: (backend, t) => backend.sumOfSquares({ out: t.out!, tensors: shapes.map((_, i) => t[`x${i}`]!) }),
    tolerance: 1e-10,
  };
}

function fill(random: Random): BackwardCase {
  const shape = random.pick([[random.int(1, 9)], [random.int(1, 3000)], [random.int(1, 30), random.int(1, 50)]]);
  const value = random.pick([0, 0, random.floats(1, 5)[0]!]);
  return {
    op: 'fill',
    label: `out[${shape}] = ${value}`,
    inputs: {},
    outputs: { out: valueOutput(shape, random.normals(size(shape))) },
    run: (backend, t) => backend.fill({ out: t.out!, value }),
    tolerance: 0,
  };
}

export const LOSS_CASES = { crossEntropy, distillationLoss, adamw, sumOfSquares, fill };

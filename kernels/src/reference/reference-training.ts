import type { HostArray } from '../dtype.js';
import { assertLive, type Tensor } from '../tensor.js';
import type {
  ActivationBackwardParams,
  AdamWParams,
  AddBackwardParams,
  AttentionBackwardParams,
  AttentionForTrainingParams,
  CrossEntropyParams,
  DistillationLossParams,
  EmbeddingBackwardParams,
  FillParams,
  MatmulBackwardParams,
  MulBackwardParams,
  RmsNormBackwardParams,
  RopeBackwardParams,
  ScaleBackwardParams,
  SoftmaxBackwardParams,
  SumOfSquaresParams,
  SwigluBackwardParams,
  TrainingOps,
} from '../training-ops.js';
import * as check from '../validate-training.js';
import { attentionBackward, attentionForTraining } from './attention-training.js';
import * as backward from './backward-kernels.js';
import * as losses from './loss-kernels.js';
import { asFloat32 } from './storage.js';

/**
 * TrainingOps on host typed arrays: validation, then the plain loops of backward-kernels.ts,
 * attention-training.ts and loss-kernels.ts, on whatever typed arrays `HostAccess` maps tensors to
 * (the reference backend's own host arrays; a backend could pass views of its memory).
 */
export interface HostAccess {
  backendName: string;
  f32(tensor: Tensor): Float32Array;
  i32(tensor: Tensor): Int32Array;
  /** A weight of any weight dtype as f32 values: a temporary dequantized array for f16/bf16/Q8_0/Q4_0. */
  weight(tensor: Tensor): Float32Array;
}

export function createHostTrainingOps({ backendName, f32, i32, weight }: HostAccess): TrainingOps {
  const optional = (t: Tensor | undefined) => (t ? f32(t) : undefined);
  const live = (op: string, ...tensors: (Tensor | undefined)[]) => {
    for (const t of tensors) if (t) assertLive(t, backendName, op);
  };
  return {
    matmulBackward(params: MatmulBackwardParams) {
      const { da, db, dout, a, b, transposeB } = params;
      live('matmulBackward', da, db, dout, a, b);
      const { batch, M, N, K, broadcastB } = check.checkMatmulBackward(params);
      backward.matmulBackward(optional(da), optional(db), f32(dout), f32(a), weight(b), batch, M, N, K, transposeB, broadcastB);
    },

    rmsnormBackward(params: RmsNormBackwardParams) {
      const { dx, dweight, dout, x, weight, eps } = params;
      live('rmsnormBackward', dx, dweight, dout, x, weight);
      const { rows, C } = check.checkRmsNormBackward(params);
      backward.rmsnormBackward(f32(dx), optional(dweight), f32(dout), f32(x), f32(weight), rows, C, eps);
    },

    ropeBackward(params: RopeBackwardParams) {
      live('ropeBackward', params.dx, params.dout, params.positions);
      const { B, T, nHeads, D } = check.checkRopeBackward(params);
      const { dx, dout, positions, theta, style, inverseFrequencies } = params;
      backward.ropeBackward(f32(dx), f32(dout), i32(positions), B, T, nHeads, D, theta, style, inverseFrequencies);
    },

    attentionForTraining(params: AttentionForTrainingParams) {
      const { out, logsumexp, q, k, v, segmentIds, scale } = params;
      live('attentionForTraining', out, logsumexp, q, k, v, segmentIds);
      const dims = check.checkAttentionForTraining(params);
      attentionForTraining(f32(out), f32(logsumexp), f32(q), f32(k), f32(v), segmentIds && i32(segmentIds), { ...dims, scale });
    },

    attentionBackward(params: AttentionBackwardParams) {
      const { dq, dk, dv, dout, q, k, v, out, logsumexp, segmentIds, scale } = params;
      live('attentionBackward', dq, dk, dv, dout, q, k, v, out, logsumexp, segmentIds);
      const dims = check.checkAttentionBackward(params);
      const ids = segmentIds && i32(segmentIds);
      attentionBackward(f32(dq), f32(dk), f32(dv), f32(dout), f32(q), f32(k), f32(v), f32(out), f32(logsumexp), ids, { ...dims, scale });
    },

    softmaxBackward(params: SoftmaxBackwardParams) {
      live('softmaxBackward', params.dx, params.dout, params.out);
      const { rows, C } = check.checkSoftmaxBackward(params);
      backward.softmaxBackward(f32(params.dx), f32(params.dout), f32(params.out), rows, C);
    },

    siluBackward(params: ActivationBackwardParams) {
      live('siluBackward', params.dx, params.dout, params.x);
      check.checkActivationBackward('siluBackward', params);
      backward.activationBackward(f32(params.dx), f32(params.dout), f32(params.x), backward.siluDerivative);
    },

    geluBackward(params: ActivationBackwardParams) {
      live('geluBackward', params.dx, params.dout, params.x);
      check.checkActivationBackward('geluBackward', params);
      backward.activationBackward(f32(params.dx), f32(params.dout), f32(params.x), backward.geluDerivative);
    },

    swigluBackward(params: SwigluBackwardParams) {
      const { dgate, dup, dout, gate, up } = params;
      live('swigluBackward', dgate, dup, dout, gate, up);
      check.checkSwigluBackward(params);
      backward.swigluBackward(f32(dgate), f32(dup), f32(dout), f32(gate), f32(up));
    },

    embeddingBackward(params: EmbeddingBackwardParams) {
      live('embeddingBackward', params.dtable, params.dout, params.ids);
      const { N, V, C } = check.checkEmbeddingBackward(params);
      backward.embeddingBackward(f32(params.dtable), f32(params.dout), i32(params.ids), N, V, C);
    },

    addBackward(params: AddBackwardParams) {
      live('addBackward', params.da, params.db, params.dout);
      const { size, bSize } = check.checkAddBackward(params);
      backward.binaryBackward(optional(params.da), optional(params.db), f32(params.dout), undefined, undefined, size, bSize);
    },

    mulBackward(params: MulBackwardParams) {
      const { da, db, dout, a, b } = params;
      live('mulBackward', da, db, dout, a, b);
      const { size, bSize } = check.checkMulBackward(params);
      backward.binaryBackward(optional(da), optional(db), f32(dout), f32(b), f32(a), size, bSize);
    },

    scaleBackward(params: ScaleBackwardParams) {
      live('scaleBackward', params.dx, params.dout);
      check.checkActivationBackward('scaleBackward', { dx: params.dx, dout: params.dout, x: params.dout });
      const [dx, dout] = [f32(params.dx), f32(params.dout)];
      for (let i = 0; i < dx.length; i++) dx[i]! += params.factor * dout[i]!;
    },

    crossEntropy(params: CrossEntropyParams) {
      const { loss, dlogits, logits, targets, dloss = 1 } = params;
      live('crossEntropy', loss, dlogits, logits, targets);
      const { rows, C } = check.checkCrossEntropy(params);
      f32(loss)[0] = losses.crossEntropy(optional(dlogits), f32(logits), i32(targets), rows, C, dloss);
    },

    distillationLoss(params: DistillationLossParams) {
      const { loss, dlogits, logits, teacherLogits, teacherIndices, teacherLogprobs, mask } = params;
      live('distillationLoss', loss, dlogits, logits, teacherLogits, teacherIndices, teacherLogprobs, mask);
      const { rows, C, k } = check.checkDistillationLoss(params);
      const teacher = { logits: optional(teacherLogits), indices: teacherIndices && i32(teacherIndices), logprobs: optional(teacherLogprobs) };
      const { divergence, beta = 0.5, temperature = 1, dloss = 1 } = params;
      f32(loss)[0] = losses.distillationLoss(optional(dlogits), f32(logits), teacher, mask && i32(mask), rows, C, k, divergence, beta, temperature, dloss);
    },

    adamw(params: AdamWParams) {
      const { clip } = params;
      live('adamw', params.params, params.grads, params.m, params.v, clip?.sumOfSquares);
      check.checkAdamW(params);
      const clipping = clip ? losses.clipFactor(f32(clip.sumOfSquares)[0]!, clip.maxNorm) : 1;
      losses.adamw(f32(params.params), f32(params.grads), f32(params.m), f32(params.v), {
        ...params,
        gradScale: (params.gradScale ?? 1) * clipping,
      });
    },

    sumOfSquares(params: SumOfSquaresParams) {
      live('sumOfSquares', params.out, ...params.tensors);
      check.checkSumOfSquares(params);
      f32(params.out)[0] = losses.sumOfSquares(params.tensors.map(f32));
    },

    fill(params: FillParams) {
      live('fill', params.out);
      check.checkFill(params);
      f32(params.out).fill(params.value);
    },
  };
}

export const referenceTrainingOps: TrainingOps = createHostTrainingOps({
  backendName: 'reference',
  f32: (t) => t.handle as Float32Array,
  i32: (t) => t.handle as Int32Array,
  weight: (t) => asFloat32(t.dtype, t.handle as HostArray, t.size),
});

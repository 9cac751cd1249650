import type { Tensor } from '../tensor.js';
import type { TrainingOps } from '../training-ops.js';
import { attentionBackward, attentionForTraining } from './ops/attention-training.js';
import * as elementwise from './ops/elementwise-backward.js';
import { embeddingBackward } from './ops/embedding-backward.js';
import { crossEntropy, distillationLoss } from './ops/losses.js';
import { matmulBackward } from './ops/matmul-backward.js';
import { rmsnormBackward, softmaxBackward } from './ops/normalization-backward.js';
import type { OpContext } from './ops/op-context.js';
import { adamw, fill, sumOfSquares } from './ops/optimizer.js';
import { ropeBackward } from './ops/rope.js';

/**
 * The WebGPU backend's TrainingOps: each op checks that its tensors are live, validates (the
 * shared checks of validate-training.ts) and records its dispatches like any forward op, so a
 * whole forward + backward + AdamW step is one submit at the next read.
 *
 * Every reduction is partitioned by output element or has a fixed tree shape (db and dweight by
 * column, dtable by row, dk/dv by key row, losses and the grad norm through per-row or per-chunk
 * partials summed in index order): results are identical run to run, with no float atomics.
 *
 * Tensors split over several storage bindings (over 128 MiB, see tensor-layout.ts) are refused
 * with ResourceLimitError by every training op except `fill`.
 */
export function createWebGPUTrainingOps(context: OpContext, live: (op: string, ...tensors: Tensor[]) => void): TrainingOps {
  const check = (op: string, ...tensors: (Tensor | undefined)[]) => live(op, ...tensors.filter((t): t is Tensor => t !== undefined));
  return {
    matmulBackward(params) {
      check('matmulBackward', params.da, params.db, params.dout, params.a, params.b);
      matmulBackward(context, params);
    },
    rmsnormBackward(params) {
      check('rmsnormBackward', params.dx, params.dweight, params.dout, params.x, params.weight);
      rmsnormBackward(context, params);
    },
    ropeBackward(params) {
      check('ropeBackward', params.dx, params.dout, params.positions);
      ropeBackward(context, params);
    },
    attentionForTraining(params) {
      check('attentionForTraining', params.out, params.logsumexp, params.q, params.k, params.v, params.segmentIds);
      attentionForTraining(context, params);
    },
    attentionBackward(params) {
      const { dq, dk, dv, dout, q, k, v, out, logsumexp, segmentIds } = params;
      check('attentionBackward', dq, dk, dv, dout, q, k, v, out, logsumexp, segmentIds);
      attentionBackward(context, params);
    },
    softmaxBackward(params) {
      check('softmaxBackward', params.dx, params.dout, params.out);
      softmaxBackward(context, params);
    },
    siluBackward(params) {
      check('siluBackward', params.dx, params.dout, params.x);
      elementwise.activationBackward(context, 'siluBackward', params);
    },
    geluBackward(params) {
      check('geluBackward', params.dx, params.dout, params.x);
      elementwise.activationBackward(context, 'geluBackward', params);
    },
    swigluBackward(params) {
      check('swigluBackward', params.dgate, params.dup, params.dout, params.gate, params.up);
      elementwise.swigluBackward(context, params);
    },
    embeddingBackward(params) {
      check('embeddingBackward', params.dtable, params.dout, params.ids);
      embeddingBackward(context, params);
    },
    addBackward(params) {
      check('addBackward', params.da, params.db, params.dout);
      elementwise.addBackward(context, params);
    },
    mulBackward(params) {
      check('mulBackward', params.da, params.db, params.dout, params.a, params.b);
      elementwise.mulBackward(context, params);
    },
    scaleBackward(params) {
      check('scaleBackward', params.dx, params.dout);
      elementwise.scaleBackward(context, params);
    },
    crossEntropy(params) {
      check('crossEntropy', params.loss, params.dlogits, params.logits, params.targets);
      crossEntropy(context, params);
    },
    distillationLoss(params) {
      const { loss, dlogits, logits, teacherLogits, teacherIndices, teacherLogprobs, mask } = params;
      check('distillationLoss', loss, dlogits, logits, teacherLogits, teacherIndices, teacherLogprobs, mask);
      distillationLoss(context, params);
    },
    adamw(params) {
      check('adamw', params.params, params.grads, params.m, params.v, params.clip?.sumOfSquares);
      adamw(context, params);
    },
    sumOfSquares(params) {
      check('sumOfSquares', params.out, ...params.tensors);
      sumOfSquares(context, params);
    },
    fill(params) {
      check('fill', params.out);
      fill(context, params);
    },
  };
}

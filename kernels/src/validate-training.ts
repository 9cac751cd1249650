import { DTypeNotSupportedError, ShapeMismatchError } from './errors.js';
import type { Tensor } from './tensor.js';
import type {
  ActivationBackwardParams,
  AdamWParams,
  AddBackwardParams,
  AttentionBackwardParams,
  AttentionForTrainingParams,
  CrossEntropyParams,
  DistillationLossParams,
  EmbeddingBackwardParams,
  MatmulBackwardParams,
  MulBackwardParams,
  RmsNormBackwardParams,
  RopeBackwardParams,
  SoftmaxBackwardParams,
  FillParams,
  SumOfSquaresParams,
  SwigluBackwardParams,
} from './training-ops.js';
import {
  checkBinary,
  checkEmbedding,
  checkMatmul,
  checkRmsNorm,
  checkRope,
  describe,
  expectDistinct,
  expectDType,
  expectRank,
  expectShape,
  rowsOf,
  type AttentionDims,
  type BinaryDims,
  type EmbeddingDims,
  type MatmulDims,
  type RopeDims,
  type RowDims,
} from './validate.js';

/**
 * Checks of the training ops (training-ops.ts), built on the forward checks: a backward accepts
 * exactly the tensors its forward accepts, plus gradients shaped like the tensors they belong to.
 */

function gradient(op: string, name: string, grad: Tensor | undefined, of: Tensor, inputs: readonly Tensor[]): void {
  if (!grad) return;
  expectDType(op, name, grad, ['f32']);
  expectShape(op, name, grad, of.shape);
  expectDistinct(op, grad, inputs);
}

/**
 * b may be a frozen weight in any weight dtype (f16, bf16, Q8_0, Q4_0: the forward's transposeB
 * layout) when only da is asked for: a weight stored so has no gradient of its own.
 */
export function checkMatmulBackward(params: MatmulBackwardParams): MatmulDims {
  const { da, db, dout, a, b, transposeB } = params;
  if (db && b.dtype !== 'f32') {
    throw new DTypeNotSupportedError('matmulBackward', 'b', b.dtype, ['f32'],
      `with db: only an f32 weight has a gradient, a ${b.dtype} one is frozen (ask for da alone, e.g. through a LoRA base weight)`);
  }
  const dims = checkMatmul({ out: dout, a, b, transposeB });
  gradient('matmulBackward', 'da', da, a, [dout, a, b]);
  gradient('matmulBackward', 'db', db, b, [dout, a, b]);
  return dims;
}

export function checkRmsNormBackward({ dx, dweight, dout, x, weight }: RmsNormBackwardParams): RowDims {
  const dims = checkRmsNorm({ out: dout, x, weight, eps: 0 });
  gradient('rmsnormBackward', 'dx', dx, x, [dout, x, weight]);
  gradient('rmsnormBackward', 'dweight', dweight, weight, [dout, x, weight]);
  return dims;
}

export function checkRopeBackward({ dx, dout, positions, theta, style, inverseFrequencies }: RopeBackwardParams): RopeDims {
  const dims = checkRope({ out: dx, x: dout, positions, theta, style, inverseFrequencies });
  expectDType('ropeBackward', 'dout', dout, ['f32']);
  return dims;
}

export type TrainingAttentionDims = Omit<AttentionDims, 'S' | 'kvLength'>;

export function checkAttentionForTraining({ out, logsumexp, q, k, v, segmentIds }: AttentionForTrainingParams): TrainingAttentionDims {
  const op = 'attentionForTraining';
  for (const [name, t] of [['out', out], ['q', q], ['k', k], ['v', v], ['logsumexp', logsumexp]] as const) expectDType(op, name, t, ['f32']);
  for (const [name, t] of [['out', out], ['q', q], ['k', k], ['v', v]] as const) expectRank(op, name, t, [4]);
  const [B, T, nHeads, D] = q.shape as [number, number, number, number];
  const nKvHeads = k.shape[2]!;
  expectShape(op, 'out', out, q.shape);
  expectShape(op, 'k', k, [B, T, nKvHeads, D]);
  expectShape(op, 'v', v, k.shape);
  expectShape(op, 'logsumexp', logsumexp, [B, nHeads, T]);
  expectDistinct(op, out, [q, k, v, logsumexp]);
  if (nHeads % nKvHeads !== 0) throw new ShapeMismatchError(op, 'k', `a head count dividing ${nHeads}`, describe(k));
  if (segmentIds) {
    expectDType(op, 'segmentIds', segmentIds, ['i32']);
    expectShape(op, 'segmentIds', segmentIds, [B, T]);
  }
  return { B, T, nHeads, nKvHeads, D };
}

export function checkAttentionBackward(params: AttentionBackwardParams): TrainingAttentionDims {
  const { dq, dk, dv, dout, q, k, v, out, logsumexp, segmentIds, scale } = params;
  const dims = checkAttentionForTraining({ out, logsumexp, q, k, v, segmentIds, scale });
  const inputs = [dout, q, k, v, out, logsumexp];
  expectShape('attentionBackward', 'dout', dout, q.shape);
  gradient('attentionBackward', 'dq', dq, q, inputs);
  gradient('attentionBackward', 'dk', dk, k, inputs);
  gradient('attentionBackward', 'dv', dv, v, inputs);
  return dims;
}

function elementwise(op: string, named: readonly (readonly [string, Tensor])[], grads: readonly (readonly [string, Tensor])[]): RowDims {
  const shape = named[0]![1].shape;
  for (const [name, t] of named) {
    expectDType(op, name, t, ['f32']);
    expectShape(op, name, t, shape);
  }
  for (const [name, t] of grads) gradient(op, name, t, named[0]![1], named.map(([, n]) => n));
  return rowsOf(named[0]![1]);
}

export const checkSoftmaxBackward = ({ dx, dout, out }: SoftmaxBackwardParams) =>
  elementwise('softmaxBackward', [['dout', dout], ['out', out]], [['dx', dx]]);

export const checkActivationBackward = (op: string, { dx, dout, x }: ActivationBackwardParams) =>
  elementwise(op, [['dout', dout], ['x', x]], [['dx', dx]]);

export const checkSwigluBackward = ({ dgate, dup, dout, gate, up }: SwigluBackwardParams) =>
  elementwise('swigluBackward', [['dout', dout], ['gate', gate], ['up', up]], [['dgate', dgate], ['dup', dup]]);

export function checkEmbeddingBackward({ dtable, dout, ids }: EmbeddingBackwardParams): EmbeddingDims {
  expectDType('embeddingBackward', 'dtable', dtable, ['f32']);
  return checkEmbedding({ out: dout, table: dtable, ids });
}

/** add/mul backward: `a` stands for dout's shape, `b` for the (possibly broadcast) second operand. */
export function checkAddBackward({ da, db, dout }: AddBackwardParams): BinaryDims {
  const op = 'addBackward';
  expectDType(op, 'dout', dout, ['f32']);
  gradient(op, 'da', da, dout, [dout]);
  if (!db) return { size: dout.size, bSize: dout.size };
  expectDType(op, 'db', db, ['f32']);
  expectDistinct(op, db, [dout]);
  const trailing = dout.shape.slice(dout.rank - db.rank);
  if (db.rank > dout.rank || trailing.some((d, i) => d !== db.shape[i])) {
    throw new ShapeMismatchError(op, 'db', `dout's shape or its trailing dimensions (dout is ${describe(dout)})`, describe(db));
  }
  return { size: dout.size, bSize: db.size };
}

export function checkMulBackward({ da, db, dout, a, b }: MulBackwardParams): BinaryDims {
  const dims = checkBinary('mulBackward', { out: dout, a, b });
  gradient('mulBackward', 'da', da, a, [dout, a, b]);
  gradient('mulBackward', 'db', db, b, [dout, a, b]);
  return dims;
}

function lossOutputs(op: string, loss: Tensor, dlogits: Tensor | undefined, logits: Tensor, inputs: readonly Tensor[]): RowDims {
  expectDType(op, 'logits', logits, ['f32']);
  expectDType(op, 'loss', loss, ['f32']);
  expectShape(op, 'loss', loss, [1]);
  expectDistinct(op, loss, inputs);
  gradient(op, 'dlogits', dlogits, logits, inputs);
  return rowsOf(logits);
}

export function checkCrossEntropy({ loss, dlogits, logits, targets }: CrossEntropyParams): RowDims {
  const dims = lossOutputs('crossEntropy', loss, dlogits, logits, [logits, targets]);
  expectDType('crossEntropy', 'targets', targets, ['i32']);
  expectShape('crossEntropy', 'targets', targets, [dims.rows]);
  return dims;
}

export interface DistillationDims extends RowDims {
  /** teacher entries per row: V for a full teacher, k for top-k */
  k: number;
}

export function checkDistillationLoss(params: DistillationLossParams): DistillationDims {
  const op = 'distillationLoss';
  const { loss, dlogits, logits, teacherLogits, teacherIndices, teacherLogprobs, mask, beta = 0.5, temperature = 1 } = params;
  const teachers = [teacherLogits, teacherIndices, teacherLogprobs].filter((t): t is Tensor => t !== undefined);
  const dims = lossOutputs(op, loss, dlogits, logits, [logits, ...teachers, ...(mask ? [mask] : [])]);
  let k = dims.C;
  if (teacherLogits) {
    if (teacherIndices || teacherLogprobs) throw new ShapeMismatchError(op, 'teacher', 'teacherLogits OR teacherIndices + teacherLogprobs', 'both');
    expectDType(op, 'teacherLogits', teacherLogits, ['f32']);
    expectShape(op, 'teacherLogits', teacherLogits, logits.shape);
  } else {
    if (!teacherIndices || !teacherLogprobs) {
      throw new ShapeMismatchError(op, 'teacher', 'teacherLogits, or teacherIndices with teacherLogprobs', 'neither');
    }
    expectDType(op, 'teacherIndices', teacherIndices, ['i32']);
    expectDType(op, 'teacherLogprobs', teacherLogprobs, ['f32']);
    k = teacherIndices.shape[teacherIndices.rank - 1] ?? 0;
    expectShape(op, 'teacherIndices', teacherIndices, [dims.rows, k]);
    expectShape(op, 'teacherLogprobs', teacherLogprobs, [dims.rows, k]);
    if (k > dims.C) throw new ShapeMismatchError(op, 'teacherIndices', `at most V = ${dims.C} per row`, describe(teacherIndices));
  }
  if (mask) {
    expectDType(op, 'mask', mask, ['i32']);
    expectShape(op, 'mask', mask, [dims.rows]);
  }
  if (params.divergence === 'jsd' && !(beta > 0 && beta < 1)) {
    throw new ShapeMismatchError(op, 'beta', 'a number in (0, 1) (use forward-kl / reverse-kl for the ends)', String(beta));
  }
  if (!(temperature > 0)) throw new ShapeMismatchError(op, 'temperature', 'a positive number', String(temperature));
  return { ...dims, k };
}

export function checkAdamW({ params, grads, m, v, step }: AdamWParams): number {
  const op = 'adamw';
  for (const [name, t] of [['params', params], ['grads', grads], ['m', m], ['v', v]] as const) {
    expectDType(op, name, t, ['f32']);
    expectShape(op, name, t, params.shape);
  }
  if (new Set([params, grads, m, v]).size !== 4) throw new ShapeMismatchError(op, 'params/grads/m/v', 'four distinct tensors', 'a repeated tensor');
  if (!Number.isInteger(step) || step < 1) throw new ShapeMismatchError(op, 'step', 'an integer ≥ 1', String(step));
  return params.size;
}

export function checkSumOfSquares({ out, tensors }: SumOfSquaresParams): void {
  expectDType('sumOfSquares', 'out', out, ['f32']);
  expectShape('sumOfSquares', 'out', out, [1]);
  expectDistinct('sumOfSquares', out, tensors);
  for (const t of tensors) expectDType('sumOfSquares', 'tensors', t, ['f32']);
}

export function checkFill({ out, value }: FillParams): void {
  expectDType('fill', 'out', out, ['f32']);
  if (typeof value !== 'number') throw new ShapeMismatchError('fill', 'value', 'a number', String(value));
}

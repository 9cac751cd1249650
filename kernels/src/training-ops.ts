import type { Backend } from './backend.js';
import type { RopeStyle } from './ops.js';
import type { Tensor } from './tensor.js';

/**
 * The training ops: a backward per forward op, fused losses, AdamW and the grad-norm reduction.
 * Argument order follows llm.c: gradients of the inputs first, then the gradient of the output
 * (`dout`), then the saved forward tensors, then dimensions and scalars.
 *
 * Gradients ACCUMULATE: every `d*` tensor receives `+=`, never `=`. That is what makes gradient
 * accumulation over micro-batches and shared weights (tied embeddings, a weight used twice) work
 * without extra buffers. The caller zeroes gradients with `fill` before the first backward of a step.
 * Loss values (`loss`) and `sumOfSquares.out` are WRITTEN, not accumulated.
 * All tensors are f32 unless stated; no output aliases an input.
 */
export interface MatmulBackwardParams {
  /** a's shape, += dout · bᵀ (or dout · b when transposeB); optional (e.g. the first layer's input) */
  da?: Tensor;
  /** b's shape, += aᵀ · dout (or doutᵀ · a); a broadcast b receives the sum over the batch */
  db?: Tensor;
  /** [batch, M, N] (or [M, N]) */
  dout: Tensor;
  a: Tensor;
  /**
   * f32; or, with transposeB and without db, a frozen weight [N, K] in any weight dtype (f16, bf16,
   * Q8_0, Q4_0: a quantized LoRA base). da += dout · W then decodes W's blocks in registers, as the
   * forward matmul does; no f32 copy of W is ever made. Asking for db of a non-f32 b is a
   * DTypeNotSupportedError (such a weight has no gradient).
   */
  b: Tensor;
  transposeB: boolean;
}

export interface RmsNormBackwardParams {
  /** [rows, C] */
  dx: Tensor;
  /** [C]; optional (frozen norm) */
  dweight?: Tensor;
  dout: Tensor;
  x: Tensor;
  weight: Tensor;
  eps: number;
}

export interface RopeBackwardParams {
  /** [B, T, nHeads, D] += the inverse rotation of dout */
  dx: Tensor;
  dout: Tensor;
  positions: Tensor;
  theta: number;
  style: RopeStyle;
  inverseFrequencies?: Float32Array;
}

export interface AttentionForTrainingParams {
  /** [B, T, nHeads, D] */
  out: Tensor;
  /** [B, nHeads, T]: log Σ_s exp(scale · q·k_s) per query row, saved for the backward */
  logsumexp: Tensor;
  /** [B, T, nHeads, D] */
  q: Tensor;
  /** [B, T, nKvHeads, D] (kvLength = T: training has no cache) */
  k: Tensor;
  v: Tensor;
  /**
   * i32 [B, T], optional: packed sequences. Token t attends to s ≤ t only where
   * segmentIds[b, s] == segmentIds[b, t] (a block-diagonal causal mask). Each segment must be one
   * contiguous run of tokens, as packing produces (e.g. 0 0 0 1 1 2 2 2); positions restart per
   * segment through rope's `positions`.
   */
  segmentIds?: Tensor;
  scale: number;
}

export interface AttentionBackwardParams {
  dq: Tensor;
  dk: Tensor;
  dv: Tensor;
  dout: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** the forward's out and logsumexp: scores are recomputed, never stored (flash-attention 2) */
  out: Tensor;
  logsumexp: Tensor;
  segmentIds?: Tensor;
  scale: number;
}

export interface SoftmaxBackwardParams {
  dx: Tensor;
  dout: Tensor;
  /** the forward's output y = softmax(x): dx += y ⊙ (dout − Σ dout ⊙ y) */
  out: Tensor;
}

export interface ActivationBackwardParams {
  dx: Tensor;
  dout: Tensor;
  /** the forward's input */
  x: Tensor;
}

export interface SwigluBackwardParams {
  dgate: Tensor;
  dup: Tensor;
  dout: Tensor;
  gate: Tensor;
  up: Tensor;
}

export interface EmbeddingBackwardParams {
  /**
   * [V, C] f32 += the rows of dout, scattered by id. Deterministic: each table row sums its
   * tokens in token order on every backend and thread count. Out-of-range ids contribute nothing.
   */
  dtable: Tensor;
  /** [N, C] */
  dout: Tensor;
  /** i32 [N] */
  ids: Tensor;
}

export interface AddBackwardParams {
  /** a's shape (= dout's) */
  da?: Tensor;
  /** b's shape: dout summed over the broadcast leading dimensions */
  db?: Tensor;
  dout: Tensor;
}

export interface MulBackwardParams {
  da?: Tensor;
  db?: Tensor;
  dout: Tensor;
  a: Tensor;
  b: Tensor;
}

export interface ScaleBackwardParams {
  dx: Tensor;
  dout: Tensor;
  factor: number;
}

export interface CrossEntropyParams {
  /** [1], written: mean over counted rows of logsumexp(logits) − logits[target] (0 when none count) */
  loss: Tensor;
  /** [rows, V], optional: += dloss / count · (softmax(logits) − onehot(target)), in the same pass */
  dlogits?: Tensor;
  /** [rows, V] */
  logits: Tensor;
  /** i32 [rows]: a row counts when its target is in [0, V); ignoreIndex (and any other value) masks it */
  targets: Tensor;
  /** default −100 (PyTorch, HF); documented only: every out-of-range target is ignored */
  ignoreIndex?: number;
  /** d(objective)/d(loss), default 1: e.g. 1 / micro-batches for gradient accumulation */
  dloss?: number;
}

export type Divergence = 'forward-kl' | 'reverse-kl' | 'jsd';

/**
 * Distillation between student logits and a teacher, per row, with temperature τ:
 * p = softmax(logits / τ) (student), P = the teacher distribution, then
 *   forward-kl: KL(P ‖ p) = Σ P (log P − log p)             (Hinton; "mean-seeking")
 *   reverse-kl: KL(p ‖ P)                                      ("mode-seeking", MiniLLM)
 *   jsd:        β·KL(P ‖ M) + (1 − β)·KL(p ‖ M), M = β·P + (1 − β)·p   (TRL's generalized_jsd_loss, GKD)
 * loss = τ² · mean over counted rows (the τ² of Hinton et al.: gradients keep their magnitude as τ
 * changes), so dlogits += dloss · τ² / count · ∂KL/∂logits = dloss · τ / count · ∂KL/∂(logits/τ).
 *
 * Teacher, one of:
 * - full: `teacherLogits` [rows, V], P = softmax(teacherLogits / τ) (log-probabilities are valid logits);
 * - top-k: `teacherIndices` i32 [rows, k] (distinct, in [0, V)) and `teacherLogprobs` [rows, k], the
 *   teacher's log-probabilities ALREADY AT temperature τ (τ then scales the student only). The
 *   divergence is taken over k + 1 buckets: the k listed tokens and one tail bucket holding the rest
 *   of the mass — teacher tail = max(1e-6, 1 − Σ exp(logprobs)) (the floor absorbs f32 rounding and
 *   keeps reverse KL finite), student tail = Σ of p outside the k tokens. With k = V there is no tail
 *   bucket and the result is the full-teacher one. Never ignores the mass the student puts outside
 *   the teacher's top-k.
 */
export interface DistillationLossParams {
  /** [1], written */
  loss: Tensor;
  /** [rows, V], optional, accumulated */
  dlogits?: Tensor;
  /** [rows, V] student logits */
  logits: Tensor;
  teacherLogits?: Tensor;
  teacherIndices?: Tensor;
  teacherLogprobs?: Tensor;
  divergence: Divergence;
  /** jsd only, in (0, 1): the teacher's weight in the mixture. Default 0.5. */
  beta?: number;
  /** default 1 */
  temperature?: number;
  /** i32 [rows], optional: rows with 0 are not counted (prompt tokens, padding) */
  mask?: Tensor;
  dloss?: number;
}

export interface AdamWParams {
  /** updated in place */
  params: Tensor;
  grads: Tensor;
  /** first and second moments, same shape, updated in place (zero before step 1) */
  m: Tensor;
  v: Tensor;
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** decoupled (AdamW, Loshchilov & Hutter): params −= learningRate · weightDecay · params */
  weightDecay: number;
  /** 1-based step, for the bias corrections 1 − β^step */
  step: number;
  /** multiplies grads before use (loss-scale undo); default 1 */
  gradScale?: number;
  /**
   * Global-norm clipping without a host round trip: grads are further scaled by
   * min(1, maxNorm / (√sumOfSquares + 1e-6)), sumOfSquares being `sumOfSquares`'s output [1].
   */
  clip?: { sumOfSquares: Tensor; maxNorm: number };
}

export interface SumOfSquaresParams {
  /** [1], written: Σ over every tensor of Σ x² (the squared global grad norm) */
  out: Tensor;
  tensors: readonly Tensor[];
}

export interface FillParams {
  /** f32, every element set to value (0 to zero gradients) */
  out: Tensor;
  value: number;
}

export interface TrainingOps {
  matmulBackward(params: MatmulBackwardParams): void;
  rmsnormBackward(params: RmsNormBackwardParams): void;
  ropeBackward(params: RopeBackwardParams): void;
  /** The causal attention forward of training (kvLength = T), also saving the logsumexp. */
  attentionForTraining(params: AttentionForTrainingParams): void;
  attentionBackward(params: AttentionBackwardParams): void;
  softmaxBackward(params: SoftmaxBackwardParams): void;
  siluBackward(params: ActivationBackwardParams): void;
  geluBackward(params: ActivationBackwardParams): void;
  swigluBackward(params: SwigluBackwardParams): void;
  embeddingBackward(params: EmbeddingBackwardParams): void;
  addBackward(params: AddBackwardParams): void;
  mulBackward(params: MulBackwardParams): void;
  scaleBackward(params: ScaleBackwardParams): void;
  crossEntropy(params: CrossEntropyParams): void;
  distillationLoss(params: DistillationLossParams): void;
  adamw(params: AdamWParams): void;
  sumOfSquares(params: SumOfSquaresParams): void;
  fill(params: FillParams): void;
}

export type TrainingOpName = keyof TrainingOps;

export const TRAINING_OP_NAMES: readonly TrainingOpName[] = [
  'matmulBackward',
  'rmsnormBackward',
  'ropeBackward',
  'attentionForTraining',
  'attentionBackward',
  'softmaxBackward',
  'siluBackward',
  'geluBackward',
  'swigluBackward',
  'embeddingBackward',
  'addBackward',
  'mulBackward',
  'scaleBackward',
  'crossEntropy',
  'distillationLoss',
  'adamw',
  'sumOfSquares',
  'fill',
];

export type TrainingBackend = Backend & TrainingOps;

/**
 * Gives `backend` every training op as an own method forwarding to `ops`: backends keep their training
 * kernels in a module of their own, and declare the methods by merging `interface X extends TrainingOps {}`
 * with their class instead of writing one forwarding line per op.
 */
export function forwardTrainingOps(backend: object, ops: TrainingOps): void {
  for (const name of TRAINING_OP_NAMES) {
    const op = ops[name].bind(ops) as (params: never) => void;
    Object.defineProperty(backend, name, { value: op, enumerable: false, writable: false, configurable: false });
  }
}

/** A backend declares training support by implementing every op of `TrainingOps`. */
export function supportsTraining(backend: Backend): backend is TrainingBackend {
  const candidate = backend as Partial<TrainingOps>;
  return TRAINING_OP_NAMES.every((name) => typeof candidate[name] === 'function');
}

import type { DType } from '../dtype.js';

/**
 * The exports of the AssemblyScript module (kernels/assembly/index.ts). Pointers are byte offsets
 * into linear memory; JS numbers above 2^31 wrap to the same 32 bits on the way in, so the whole
 * 4 GiB address space is usable. Every kernel starts with (thread, threads). `matmul` and
 * `attention` end with `counter`, the word their threads claim chunks from (assembly/common/work-queue.ts),
 * zeroed by the backend before each call.
 */
export interface KernelExports {
  matmul(
    thread: number, threads: number, out: number, a: number, b: number,
    batch: number, M: number, N: number, K: number,
    transposeB: number, broadcastB: number, dtype: number, scratch: number, scratchStride: number, counter: number,
  ): void;
  matmulScratchBytes(M: number, N: number, K: number, dtype: number): number;
  attention(
    thread: number, threads: number, out: number, q: number, k: number, v: number,
    B: number, T: number, S: number, nHeads: number, nKvHeads: number, D: number, kvLength: number, scale: number, halfKv: number,
    scratch: number, scratchStride: number, counter: number,
  ): void;
  attentionScratchBytes(D: number): number;
  attentionDecode(
    thread: number, threads: number, out: number, q: number, k: number, v: number, partials: number,
    B: number, T: number, S: number, nHeads: number, nKvHeads: number, D: number, kvLength: number, scale: number, halfKv: number,
    scratch: number, scratchStride: number, counter: number,
  ): void;
  attentionMerge(thread: number, threads: number, out: number, partials: number, rows: number, D: number, splits: number): void;
  attentionSplits(kvLength: number): number;
  rmsnorm(thread: number, threads: number, out: number, x: number, weight: number, rows: number, C: number, eps: number): void;
  addRmsnorm(thread: number, threads: number, out: number, residual: number, x: number, weight: number, rows: number, C: number, eps: number): void;
  layernorm(
    thread: number, threads: number, out: number, x: number, weight: number, bias: number, rows: number, C: number, eps: number,
  ): void;
  rope(thread: number, threads: number, out: number, x: number, table: number, tokens: number, nHeads: number, D: number, interleaved: number): void;
  silu(thread: number, threads: number, out: number, x: number, size: number): void;
  gelu(thread: number, threads: number, out: number, x: number, size: number): void;
  swiglu(thread: number, threads: number, out: number, gate: number, up: number, size: number): void;
  softmax(thread: number, threads: number, out: number, x: number, rows: number, C: number): void;
  binary(thread: number, threads: number, operation: number, out: number, a: number, b: number, size: number, bSize: number): void;
  scale(thread: number, threads: number, out: number, x: number, size: number, factor: number): void;
  /** f32 → f16 bits, round to nearest even. */
  toHalf(thread: number, threads: number, out: number, x: number, size: number): void;
  embedding(thread: number, threads: number, out: number, table: number, ids: number, N: number, V: number, C: number, dtype: number): void;
  argmax(thread: number, threads: number, out: number, x: number, rows: number, C: number): void;
  // Training (kernels/assembly/training): gradients accumulate.
  transpose(thread: number, threads: number, out: number, x: number, batch: number, rows: number, cols: number): void;
  activationBackward(thread: number, threads: number, kind: number, dx: number, dout: number, x: number, size: number): void;
  swigluBackward(thread: number, threads: number, dgate: number, dup: number, dout: number, gate: number, up: number, size: number): void;
  scaledAccumulate(
    thread: number, threads: number, dx: number, dout: number, factors: number, size: number, factorSize: number, factor: number,
  ): void;
  broadcastReduce(thread: number, threads: number, db: number, dout: number, factors: number, size: number, bSize: number): void;
  rmsnormBackwardRows(
    thread: number, threads: number, dx: number, dout: number, x: number, weight: number, inverses: number, rows: number, C: number, eps: number,
  ): void;
  rmsnormBackwardWeight(thread: number, threads: number, dweight: number, dout: number, x: number, inverses: number, rows: number, C: number): void;
  embeddingBackward(thread: number, threads: number, dtable: number, dout: number, ids: number, N: number, V: number, C: number): void;
  adamw(
    thread: number, threads: number, params: number, grads: number, m: number, v: number, size: number,
    beta1: number, beta2: number, eps: number, stepSize: number, inverseCorrection2: number, decay: number, gradScale: number,
  ): void;
  crossEntropy(
    thread: number, threads: number, rowLosses: number, dlogits: number, logits: number, targets: number, rows: number, V: number, factor: number,
  ): void;
  softmaxBackward(thread: number, threads: number, dx: number, dout: number, y: number, rows: number, C: number): void;
  attentionTraining(
    thread: number, threads: number, out: number, logsumexp: number, q: number, k: number, v: number, segments: number,
    B: number, T: number, nHeads: number, nKvHeads: number, D: number, scale: number, scratch: number, scratchStride: number,
  ): void;
  attentionTrainingScratchBytes(D: number): number;
  attentionBackwardQuery(
    thread: number, threads: number, dq: number, deltas: number, dout: number, q: number, k: number, v: number, out: number, logsumexp: number,
    segments: number, B: number, T: number, nHeads: number, nKvHeads: number, D: number, scale: number,
  ): void;
  attentionBackwardKey(
    thread: number, threads: number, dk: number, dv: number, deltas: number, dout: number, q: number, k: number, v: number, logsumexp: number,
    segments: number, B: number, T: number, nHeads: number, nKvHeads: number, D: number, scale: number,
  ): void;
  distillation(
    thread: number, threads: number, rowLosses: number, dlogits: number, logits: number,
    teacherLogits: number, teacherIndices: number, teacherLogprobs: number, mask: number,
    rows: number, V: number, k: number, divergence: number, beta: number, temperature: number, factor: number, scratch: number, scratchStride: number,
  ): void;
  distillationScratchBytes(V: number): number;
  frozenWeightGradient(
    thread: number, threads: number, da: number, dout: number, weight: number,
    rows: number, N: number, K: number, dtype: number, scratch: number, scratchStride: number,
  ): void;
  frozenWeightGradientScratchBytes(): number;
  /** Not a pool kernel: Σ x² over `size` floats, in f64. */
  squaredSum(x: number, size: number): number;
}

/** Kernels that take (thread, threads, ...) and can run on the worker pool, indexed by position. */
export const KERNEL_NAMES = [
  'matmul',
  'attention',
  'attentionDecode',
  'attentionMerge',
  'rmsnorm',
  'addRmsnorm',
  'layernorm',
  'rope',
  'silu',
  'gelu',
  'swiglu',
  'softmax',
  'binary',
  'scale',
  'toHalf',
  'embedding',
  'argmax',
  'transpose',
  'activationBackward',
  'swigluBackward',
  'scaledAccumulate',
  'broadcastReduce',
  'rmsnormBackwardRows',
  'rmsnormBackwardWeight',
  'embeddingBackward',
  'adamw',
  'crossEntropy',
  'softmaxBackward',
  'attentionTraining',
  'attentionBackwardQuery',
  'attentionBackwardKey',
  'distillation',
  'frozenWeightGradient',
] as const;

export type KernelName = (typeof KERNEL_NAMES)[number];

/** Arguments of a kernel after (thread, threads). */
export type KernelArguments<K extends KernelName> = KernelExports[K] extends (thread: number, threads: number, ...rest: infer R) => void
  ? R
  : never;

/** dtype codes shared with kernels/assembly/common/decode.ts. */
export const DTYPE_CODES: Record<Exclude<DType, 'i32'>, number> = { f32: 0, f16: 1, bf16: 2, q8_0: 3, q4_0: 4 };

/** `binary`'s operation codes (kernels/assembly/ops/elementwise.ts). */
export const BINARY_ADD = 0;
export const BINARY_MUL = 1;

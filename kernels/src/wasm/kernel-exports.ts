import type { DType } from '../dtype.js';

/**
 * The exports of the AssemblyScript module (kernels/assembly/index.ts). Pointers are byte offsets
 * into linear memory; JS numbers above 2^31 wrap to the same 32 bits on the way in, so the whole
 * 4 GiB address space is usable. Every kernel starts with (thread, threads).
 */
export interface KernelExports {
  matmul(
    thread: number, threads: number, out: number, a: number, b: number,
    batch: number, M: number, N: number, K: number,
    transposeB: number, broadcastB: number, dtype: number, scratch: number, scratchStride: number,
  ): void;
  matmulScratchBytes(M: number, N: number, K: number, dtype: number): number;
  attention(
    thread: number, threads: number, out: number, q: number, k: number, v: number,
    B: number, T: number, S: number, nHeads: number, nKvHeads: number, D: number, kvLength: number, scale: number,
    scratch: number, scratchStride: number,
  ): void;
  attentionScratchBytes(D: number): number;
  rmsnorm(thread: number, threads: number, out: number, x: number, weight: number, rows: number, C: number, eps: number): void;
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
  embedding(thread: number, threads: number, out: number, table: number, ids: number, N: number, V: number, C: number, dtype: number): void;
  argmax(thread: number, threads: number, out: number, x: number, rows: number, C: number): void;
}

/** Kernels that take (thread, threads, ...) and can run on the worker pool, indexed by position. */
export const KERNEL_NAMES = [
  'matmul',
  'attention',
  'rmsnorm',
  'layernorm',
  'rope',
  'silu',
  'gelu',
  'swiglu',
  'softmax',
  'binary',
  'scale',
  'embedding',
  'argmax',
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

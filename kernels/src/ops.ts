import type { Tensor } from './tensor.js';

/**
 * The op set every backend implements, with one parameter object per op. Argument order follows
 * llm.c: outputs first, then inputs, then weights, then dimensions and scalars.
 *
 * Rules for all ops:
 * - `out` is allocated by the caller with the documented shape and never aliases an input
 *   (WebGPU forbids a buffer bound both read-only and writable in one dispatch).
 * - Activations are f32. Weights (`matmul.b`, `embedding.table`) may also be f16, bf16, q8_0 or q4_0.
 * - Ops are enqueued in call order; results are visible through `Backend.read`.
 *
 * Training will add a `<op>Backward` per op with the same convention:
 * gradients of the inputs first, then the gradient of the output, then the saved forward tensors.
 */
export interface MatmulParams {
  /** [batch, M, N] (or [M, N]) f32 */
  out: Tensor;
  /** [batch, M, K] (or [M, K]) f32 */
  a: Tensor;
  /**
   * transposeB = false: [batch | 1, K, N] (or [K, N]), f32 only.
   * transposeB = true:  [batch | 1, N, K] (or [N, K]) — the linear-layer layout of HF and GGUF,
   * where f16 / bf16 / q8_0 / q4_0 are accepted (K a multiple of 32 for the quantized types).
   * A batch of 1 (or rank 2) is broadcast over a's batch.
   */
  b: Tensor;
  transposeB: boolean;
}

/**
 * A SwiGLU MLP's up projection with the activation fused in: out = silu(gate) ⊙ (a · bᵀ), where
 * `gate` holds the gate projection a · W_gateᵀ computed before. One dispatch on WebGPU where
 * matmul and swiglu took two, and no [M, N] up-projection tensor.
 */
export interface MatmulSwigluParams {
  /** [batch, M, N] (or [M, N]) f32 */
  out: Tensor;
  /** [batch, M, K] (or [M, K]) f32 */
  a: Tensor;
  /** [batch | 1, N, K] (or [N, K]): the linear-layer layout, in any weight dtype (as matmul's transposed b) */
  b: Tensor;
  /** out's shape, f32 */
  gate: Tensor;
}

export interface AttentionParams {
  /** [B, T, nHeads, D] f32 */
  out: Tensor;
  /** [B, T, nHeads, D] f32, already rotated */
  q: Tensor;
  /**
   * [B, S, nKvHeads, D] f32 or f16: the key cache; S is its capacity. nHeads % nKvHeads == 0
   * (grouped-query). An f16 cache (half the memory, llama.cpp's default) is read exactly as f32.
   */
  k: Tensor;
  /** [B, S, nKvHeads, D]: the value cache, k's dtype */
  v: Tensor;
  /**
   * Keys 0..kvLength-1 are valid (T ≤ kvLength ≤ S). Query t sits at position kvLength − T + t and
   * attends causally to keys 0..kvLength − T + t. Prefill: kvLength = T; decode: T = 1.
   */
  kvLength: number;
  /** Usually 1 / sqrt(D). */
  scale: number;
}

export interface RmsNormParams {
  /** [rows, C] */
  out: Tensor;
  /** [rows, C] */
  x: Tensor;
  /** [C] */
  weight: Tensor;
  eps: number;
}

/**
 * The residual stream taking a block's output, then normalised for the next block:
 * `residual += x` (in place), then `out = rmsnorm(residual) · weight` — add and rmsnorm in one
 * pass (one dispatch on WebGPU instead of two).
 */
export interface AddRmsNormParams {
  /** [rows, C], updated in place to residual + x */
  residual: Tensor;
  /** [rows, C] */
  x: Tensor;
  /** [rows, C] */
  out: Tensor;
  /** [C] */
  weight: Tensor;
  eps: number;
}

export interface LayerNormParams {
  out: Tensor;
  x: Tensor;
  /** [C] */
  weight: Tensor;
  /** [C] */
  bias: Tensor;
  eps: number;
}

export type RopeStyle = 'interleaved' | 'half';

export interface RopeParams {
  /** [B, T, nHeads, D] */
  out: Tensor;
  /** [B, T, nHeads, D] */
  x: Tensor;
  /** i32 [B, T]: the absolute position of each token (packing restarts them per sample). */
  positions: Tensor;
  /** Base of the inverse frequencies: freq_i = theta^(−2i/D). 10000 for Llama 2, 500000 for Llama 3. */
  theta: number;
  /**
   * 'interleaved' rotates pairs (2i, 2i+1) — GGML's "normal" mode, GPT-J.
   * 'half' rotates pairs (i, i + D/2) — Hugging Face Llama / Qwen `rotate_half`, GGML "neox".
   */
  style: RopeStyle;
  /**
   * D/2 inverse frequencies overriding theta^(−2i/D): for rope scaling schemes (Llama 3's
   * `rope_scaling`, linear, NTK) computed once on the host. Pass the same array object every
   * call — backends cache their copy of it by identity.
   */
  inverseFrequencies?: Float32Array;
}

/**
 * The attention block's steps between the q/k/v projections and attention, in one op (one
 * dispatch on WebGPU instead of four): q rotated into `qOut`, k rotated and appended to the key
 * cache, v appended to the value cache. Sequence b's T rows go to cache positions
 * [start, start + T) of its [S, nKvHeads, D] slice; the rest of the caches is left as it was.
 * An f16 cache receives each value rounded to nearest even, as `copy` rounds.
 */
export interface RopeAppendParams {
  /** [B, T, nHeads, D] f32: q rotated */
  qOut: Tensor;
  /** [B, T, nHeads, D] f32 */
  q: Tensor;
  /** [B, T, nKvHeads, D] f32: rotated on its way into keyCache (k itself is not changed) */
  k: Tensor;
  /** [B, T, nKvHeads, D] f32 */
  v: Tensor;
  /** [B, S, nKvHeads, D] f32 or f16 */
  keyCache: Tensor;
  /** [B, S, nKvHeads, D], keyCache's dtype */
  valueCache: Tensor;
  /** First cache position written (the cache's length before this call); start + T ≤ S. */
  start: number;
  /** i32 [B, T]: the rotation angle's position of each token, as in `rope`. */
  positions: Tensor;
  theta: number;
  style: RopeStyle;
  inverseFrequencies?: Float32Array;
}

export interface UnaryParams {
  out: Tensor;
  x: Tensor;
}

export interface ScaleParams extends UnaryParams {
  factor: number;
}

export interface SwigluParams {
  /** same shape as gate and up */
  out: Tensor;
  gate: Tensor;
  up: Tensor;
}

export interface BinaryParams {
  /** shape of a */
  out: Tensor;
  a: Tensor;
  /** either a's shape, or a's trailing dimensions (broadcast over the leading ones, e.g. a bias [C]) */
  b: Tensor;
}

export interface EmbeddingParams {
  /** [N, C] f32 */
  out: Tensor;
  /** [V, C] f32 | f16 | bf16 | q8_0 | q4_0 */
  table: Tensor;
  /** i32 [N], each in [0, V) */
  ids: Tensor;
}

export interface ArgmaxParams {
  /** i32 [rows]: index of the largest value of each row (the lowest index on ties) */
  out: Tensor;
  /** [rows, C] */
  x: Tensor;
}

export interface CopyParams {
  /**
   * f32, i32 or f16; receives x's elements at [outOffset, outOffset + count). An f16 `out` with
   * an f32 `x` converts (round to nearest even, overflow to ±inf): how keys enter an f16 KV cache.
   */
  out: Tensor;
  /** out's dtype, or f32 when out is f16 */
  x: Tensor;
  /** elements; default 0 */
  outOffset?: number;
  /** elements; default 0 */
  xOffset?: number;
  /** elements; default x.size − xOffset */
  count?: number;
}

export interface Ops {
  matmul(params: MatmulParams): void;
  matmulSwiglu(params: MatmulSwigluParams): void;
  attention(params: AttentionParams): void;
  rmsnorm(params: RmsNormParams): void;
  addRmsnorm(params: AddRmsNormParams): void;
  layernorm(params: LayerNormParams): void;
  rope(params: RopeParams): void;
  ropeAppend(params: RopeAppendParams): void;
  /** Row-wise softmax over the last dimension. */
  softmax(params: UnaryParams): void;
  silu(params: UnaryParams): void;
  /** GELU, tanh approximation (GPT-2, `gelu_pytorch_tanh`). */
  gelu(params: UnaryParams): void;
  /** silu(gate) · up — the Llama MLP's activation, fused. */
  swiglu(params: SwigluParams): void;
  add(params: BinaryParams): void;
  mul(params: BinaryParams): void;
  scale(params: ScaleParams): void;
  embedding(params: EmbeddingParams): void;
  argmax(params: ArgmaxParams): void;
  /** Copies a contiguous run of elements: appends to a KV cache, takes the last row of a batch. */
  copy(params: CopyParams): void;
}

export type OpName = keyof Ops;

export const OP_NAMES: readonly OpName[] = [
  'matmul',
  'matmulSwiglu',
  'attention',
  'rmsnorm',
  'addRmsnorm',
  'layernorm',
  'rope',
  'ropeAppend',
  'softmax',
  'silu',
  'gelu',
  'swiglu',
  'add',
  'mul',
  'scale',
  'embedding',
  'argmax',
  'copy',
];

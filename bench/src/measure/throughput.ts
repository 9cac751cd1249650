/**
 * Work and traffic of each benchmarked kernel, so every GFLOP/s and GB/s figure in a results file
 * comes from one formula that the unit tests pin down.
 */

/** Multiply-adds count twice: 2·M·N·K floating-point operations for an [M, K] × [K, N] product. */
export function matmulFlops(M: number, K: number, N: number): number {
  return 2 * M * N * K;
}

export interface AttentionShape {
  /** Queries (1 for decode, the context for prefill). */
  queries: number;
  /** Valid keys in the cache (kvLength). */
  keys: number;
  heads: number;
  headDim: number;
}

/**
 * Causal attention does QKᵀ and P·V for every (query, visible key) pair: 2 matmul-like passes of
 * 2·D flops each. Query t of T sits at position keys − T + t and sees keys − T + t + 1 keys, so the
 * visible pairs are T·(keys − T) + T·(T + 1)/2 (= keys for decode, T·(T+1)/2 for prefill).
 * Softmax's exp/max/sum is left out, as every attention FLOP count in the literature does.
 */
export function attentionFlops({ queries, keys, heads, headDim }: AttentionShape): number {
  const pairs = queries * (keys - queries) + (queries * (queries + 1)) / 2;
  return 4 * headDim * heads * pairs;
}

/** Bytes of the K and V caches an attention call must read at least once (f32). */
export function kvCacheBytes(keys: number, kvHeads: number, headDim: number, bytesPerValue = 4): number {
  return 2 * keys * kvHeads * headDim * bytesPerValue;
}

/** Bytes of an [N, K] weight matrix in a dtype (GGUF blocks of 32 for the quantized ones). */
export function weightBytes(dtype: 'f32' | 'f16' | 'q8_0' | 'q4_0', N: number, K: number): number {
  switch (dtype) {
    case 'f32':
      return N * K * 4;
    case 'f16':
      return N * K * 2;
    case 'q8_0':
      return (N * K * 34) / 32;
    case 'q4_0':
      return (N * K * 18) / 32;
  }
}

/** GFLOP/s from a flop count and milliseconds. */
export function gflopsPerSecond(flops: number, milliseconds: number): number {
  return flops / (milliseconds * 1e6);
}

/** GB/s (10⁹ bytes) from a byte count and milliseconds. */
export function gigabytesPerSecond(bytes: number, milliseconds: number): number {
  return bytes / (milliseconds * 1e6);
}

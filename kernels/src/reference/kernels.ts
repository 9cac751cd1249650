/**
 * The reference kernels: plain loops, f64 accumulation, no cleverness. They are the oracle every
 * other backend is tested against, so they favour being obviously right over being fast.
 */
import type { RopeStyle } from '../ops.js';

/** The kernels run on f32 storage (the backend) and in f64 (the finite-difference gradient checks). */
export type FloatArray = Float32Array | Float64Array;

export function matmul(
  out: FloatArray, // [batch, M, N]
  a: FloatArray, // [batch, M, K]
  b: FloatArray, // [batchB, K, N] or [batchB, N, K] when transposeB
  batch: number,
  M: number,
  N: number,
  K: number,
  transposeB: boolean,
  broadcastB: boolean,
): void {
  for (let p = 0; p < batch; p++) {
    const aBase = p * M * K;
    const bBase = broadcastB ? 0 : p * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const bValue = transposeB ? b[bBase + j * K + k]! : b[bBase + k * N + j]!;
          sum += a[aBase + i * K + k]! * bValue;
        }
        out[p * M * N + i * N + j] = sum;
      }
    }
  }
}

export function attention(
  out: FloatArray, // [B, T, nHeads, D]
  q: FloatArray, // [B, T, nHeads, D]
  k: FloatArray, // [B, S, nKvHeads, D]
  v: FloatArray, // [B, S, nKvHeads, D]
  B: number,
  T: number,
  S: number,
  nHeads: number,
  nKvHeads: number,
  D: number,
  kvLength: number,
  scale: number,
): void {
  const group = nHeads / nKvHeads;
  const scores = new Float64Array(kvLength);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const position = kvLength - T + t;
      for (let h = 0; h < nHeads; h++) {
        const kvHead = Math.floor(h / group);
        const qBase = ((b * T + t) * nHeads + h) * D;
        let max = -Infinity;
        for (let s = 0; s <= position; s++) {
          const kBase = ((b * S + s) * nKvHeads + kvHead) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qBase + d]! * k[kBase + d]!;
          scores[s] = dot * scale;
          max = Math.max(max, scores[s]!);
        }
        let total = 0;
        for (let s = 0; s <= position; s++) {
          scores[s] = Math.exp(scores[s]! - max);
          total += scores[s]!;
        }
        for (let d = 0; d < D; d++) {
          let sum = 0;
          for (let s = 0; s <= position; s++) sum += scores[s]! * v[((b * S + s) * nKvHeads + kvHead) * D + d]!;
          out[qBase + d] = sum / total;
        }
      }
    }
  }
}

export function rmsnorm(out: FloatArray, x: FloatArray, weight: FloatArray, rows: number, C: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    for (let c = 0; c < C; c++) squares += x[r * C + c]! ** 2;
    const inverse = 1 / Math.sqrt(squares / C + eps);
    for (let c = 0; c < C; c++) out[r * C + c] = x[r * C + c]! * inverse * weight[c]!;
  }
}

/** residual += x (rounded to f32 as stored), then out = rmsnorm(residual) · weight. */
export function addRmsnorm(out: FloatArray, residual: FloatArray, x: FloatArray, weight: FloatArray, rows: number, C: number, eps: number): void {
  for (let i = 0; i < rows * C; i++) residual[i] = residual[i]! + x[i]!;
  rmsnorm(out, residual, weight, rows, C, eps);
}

export function layernorm(
  out: FloatArray,
  x: FloatArray,
  weight: FloatArray,
  bias: FloatArray,
  rows: number,
  C: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[r * C + c]!;
    mean /= C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (x[r * C + c]! - mean) ** 2;
    const inverse = 1 / Math.sqrt(variance / C + eps);
    for (let c = 0; c < C; c++) out[r * C + c] = (x[r * C + c]! - mean) * inverse * weight[c]! + bias[c]!;
  }
}

/**
 * Visits every rotated pair of a [tokens, nHeads, D] tensor: element indices `first` and `second`
 * (adjacent for `interleaved`, D/2 apart for `half`) and the cos/sin of the token's angle for that pair.
 */
export function forEachRopePair(
  positions: Int32Array, // [tokens]
  nHeads: number,
  D: number,
  theta: number,
  style: RopeStyle,
  inverseFrequencies: FloatArray | undefined,
  visit: (first: number, second: number, cos: number, sin: number) => void,
): void {
  const halfD = D / 2;
  for (let token = 0; token < positions.length; token++) {
    const position = positions[token]!;
    for (let h = 0; h < nHeads; h++) {
      const base = (token * nHeads + h) * D;
      for (let i = 0; i < halfD; i++) {
        const angle = position * (inverseFrequencies ? inverseFrequencies[i]! : Math.pow(theta, (-2 * i) / D));
        const first = style === 'interleaved' ? base + 2 * i : base + i;
        visit(first, style === 'interleaved' ? first + 1 : first + halfD, Math.cos(angle), Math.sin(angle));
      }
    }
  }
}

export function rope(
  out: FloatArray, // [B, T, nHeads, D]
  x: FloatArray,
  positions: Int32Array, // [B, T]
  B: number,
  T: number,
  nHeads: number,
  D: number,
  theta: number,
  style: RopeStyle,
  inverseFrequencies?: FloatArray,
): void {
  forEachRopePair(positions.subarray(0, B * T), nHeads, D, theta, style, inverseFrequencies, (first, second, cos, sin) => {
    const x0 = x[first]!;
    const x1 = x[second]!;
    out[first] = x0 * cos - x1 * sin;
    out[second] = x0 * sin + x1 * cos;
  });
}

export function softmax(out: FloatArray, x: FloatArray, rows: number, C: number): void {
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, x[r * C + c]!);
    let total = 0;
    for (let c = 0; c < C; c++) total += Math.exp(x[r * C + c]! - max);
    for (let c = 0; c < C; c++) out[r * C + c] = Math.exp(x[r * C + c]! - max) / total;
  }
}

export const silu = (value: number): number => value / (1 + Math.exp(-value));

const GELU_COEFFICIENT = Math.sqrt(2 / Math.PI);
// 0.5·x·(1 + tanh u) written as x / (1 + e^(−2u)): the same function, without the cancellation
// of 1 + tanh u for very negative x (which returned exactly 0 below x ≈ −7).
export const gelu = (value: number): number =>
  value / (1 + Math.exp(-2 * GELU_COEFFICIENT * (value + 0.044715 * value ** 3)));

export function argmax(out: Int32Array, x: FloatArray, rows: number, C: number): void {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (x[r * C + c]! > x[r * C + best]!) best = c;
    out[r] = best;
  }
}

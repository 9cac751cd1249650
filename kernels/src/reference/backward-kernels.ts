/**
 * Reference backward kernels: plain loops with f64 accumulation, generic over f32 storage (the
 * backend) and f64 (the finite-difference checks). Every gradient is ACCUMULATED (`+=`), as the
 * TrainingOps contract states. Each formula is the derivative of the forward in kernels.ts.
 */
import type { RopeStyle } from '../ops.js';
import { forEachRopePair, gelu, silu, type FloatArray } from './kernels.js';

export function matmulBackward(
  da: FloatArray | undefined, // [batch, M, K]
  db: FloatArray | undefined, // b's shape
  dout: FloatArray, // [batch, M, N]
  a: FloatArray, // [batch, M, K]
  b: FloatArray, // [batchB, K, N] or [batchB, N, K] when transposeB (a non-f32 weight arrives dequantized)
  batch: number,
  M: number,
  N: number,
  K: number,
  transposeB: boolean,
  broadcastB: boolean,
): void {
  const bAt = (bBase: number, k: number, j: number) => (transposeB ? bBase + j * K + k : bBase + k * N + j);
  for (let p = 0; p < batch; p++) {
    const bBase = broadcastB ? 0 : p * K * N;
    if (da) {
      for (let i = 0; i < M; i++) {
        for (let k = 0; k < K; k++) {
          let sum = 0;
          for (let j = 0; j < N; j++) sum += dout[(p * M + i) * N + j]! * b[bAt(bBase, k, j)]!;
          da[(p * M + i) * K + k]! += sum;
        }
      }
    }
  }
  if (!db) return;
  // Partitioned by db element (as the fast backends must be, for determinism): each sums over batch and rows.
  const bBatches = broadcastB || batch === 1 ? 1 : batch;
  for (let q = 0; q < bBatches; q++) {
    const batches = bBatches === 1 ? batch : 1;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let r = 0; r < batches; r++) {
          const p = bBatches === 1 ? r : q;
          for (let i = 0; i < M; i++) sum += a[(p * M + i) * K + k]! * dout[(p * M + i) * N + j]!;
        }
        db[bAt(q * K * N, k, j)]! += sum;
      }
    }
  }
}

export function rmsnormBackward(
  dx: FloatArray, // [rows, C]
  dweight: FloatArray | undefined, // [C]
  dout: FloatArray,
  x: FloatArray,
  weight: FloatArray,
  rows: number,
  C: number,
  eps: number,
): void {
  const inverses = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    for (let c = 0; c < C; c++) squares += x[r * C + c]! ** 2;
    const inverse = 1 / Math.sqrt(squares / C + eps);
    inverses[r] = inverse;
    // y = x·r·w, r = (Σx²/C + eps)^(−1/2): dx = r·w·dy − x·r³/C · Σ dy·w·x
    let projection = 0;
    for (let c = 0; c < C; c++) projection += dout[r * C + c]! * weight[c]! * x[r * C + c]!;
    const correction = (projection * inverse ** 3) / C;
    for (let c = 0; c < C; c++) dx[r * C + c]! += inverse * weight[c]! * dout[r * C + c]! - x[r * C + c]! * correction;
  }
  if (!dweight) return;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += dout[r * C + c]! * x[r * C + c]! * inverses[r]!;
    dweight[c]! += sum;
  }
}

/** The transpose of the forward rotation, i.e. the rotation by −angle. */
export function ropeBackward(
  dx: FloatArray, // [B, T, nHeads, D]
  dout: FloatArray,
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
    const d0 = dout[first]!;
    const d1 = dout[second]!;
    dx[first]! += d0 * cos + d1 * sin;
    dx[second]! += -d0 * sin + d1 * cos;
  });
}

export function softmaxBackward(dx: FloatArray, dout: FloatArray, y: FloatArray, rows: number, C: number): void {
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dout[r * C + c]! * y[r * C + c]!;
    for (let c = 0; c < C; c++) dx[r * C + c]! += y[r * C + c]! * (dout[r * C + c]! - dot);
  }
}

const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));

/** d silu / dx = σ(x)·(1 + x·(1 − σ(x))). */
export function siluDerivative(value: number): number {
  const s = sigmoid(value);
  return s * (1 + value * (1 - s));
}

const GELU_COEFFICIENT = Math.sqrt(2 / Math.PI);

/** gelu(x) = x·σ(2u), u = c·(x + 0.044715x³): d/dx = σ(2u) + x·σ(2u)(1 − σ(2u))·2c(1 + 3·0.044715x²). */
export function geluDerivative(value: number): number {
  const s = sigmoid(2 * GELU_COEFFICIENT * (value + 0.044715 * value ** 3));
  return s + value * s * (1 - s) * 2 * GELU_COEFFICIENT * (1 + 3 * 0.044715 * value * value);
}

export function activationBackward(dx: FloatArray, dout: FloatArray, x: FloatArray, derivative: (value: number) => number): void {
  for (let i = 0; i < x.length; i++) dx[i]! += dout[i]! * derivative(x[i]!);
}

export function swigluBackward(dgate: FloatArray, dup: FloatArray, dout: FloatArray, gate: FloatArray, up: FloatArray): void {
  for (let i = 0; i < gate.length; i++) {
    dgate[i]! += dout[i]! * up[i]! * siluDerivative(gate[i]!);
    dup[i]! += dout[i]! * silu(gate[i]!);
  }
}

/** Token order within each row: the sum every backend reproduces bit for bit in f32. */
export function embeddingBackward(dtable: FloatArray, dout: FloatArray, ids: Int32Array, N: number, V: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) continue;
    for (let c = 0; c < C; c++) dtable[id * C + c]! += dout[n * C + c]!;
  }
}

/** da += dout ⊙ factorA, db[i % bSize] += Σ dout ⊙ factorB (factors undefined = 1: add). */
export function binaryBackward(
  da: FloatArray | undefined,
  db: FloatArray | undefined,
  dout: FloatArray,
  factorA: FloatArray | undefined,
  factorB: FloatArray | undefined,
  size: number,
  bSize: number,
): void {
  if (da) for (let i = 0; i < size; i++) da[i]! += dout[i]! * (factorA ? factorA[i % bSize]! : 1);
  if (!db) return;
  for (let j = 0; j < bSize; j++) {
    let sum = 0;
    for (let i = j; i < size; i += bSize) sum += dout[i]! * (factorB ? factorB[i]! : 1);
    db[j]! += sum;
  }
}

export { gelu, silu };

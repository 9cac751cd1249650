/**
 * Reference causal attention for training (kvLength = T) with an optional block-diagonal mask of
 * packed sequences, its logsumexp, and the flash-attention-2 backward that recomputes the scores
 * from q, k and the logsumexp instead of storing a T×T matrix.
 */
import type { FloatArray } from './kernels.js';

export interface AttentionShape {
  B: number;
  T: number;
  nHeads: number;
  nKvHeads: number;
  D: number;
  scale: number;
}

/** Whether query t may attend to key s of batch b. */
export function attends(segmentIds: Int32Array | undefined, T: number, b: number, t: number, s: number): boolean {
  return s <= t && (!segmentIds || segmentIds[b * T + s] === segmentIds[b * T + t]);
}

function score(q: FloatArray, k: FloatArray, shape: AttentionShape, b: number, t: number, h: number, s: number): number {
  const { T, nHeads, nKvHeads, D } = shape;
  const qBase = ((b * T + t) * nHeads + h) * D;
  const kBase = ((b * T + s) * nKvHeads + Math.floor(h / (nHeads / nKvHeads))) * D;
  let dot = 0;
  for (let d = 0; d < D; d++) dot += q[qBase + d]! * k[kBase + d]!;
  return dot * shape.scale;
}

export function attentionForTraining(
  out: FloatArray, // [B, T, nHeads, D]
  logsumexp: FloatArray, // [B, nHeads, T]
  q: FloatArray, // [B, T, nHeads, D]
  k: FloatArray, // [B, T, nKvHeads, D]
  v: FloatArray, // [B, T, nKvHeads, D]
  segmentIds: Int32Array | undefined, // [B, T]
  shape: AttentionShape,
): void {
  const { B, T, nHeads, nKvHeads, D } = shape;
  const group = nHeads / nKvHeads;
  const scores = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < nHeads; h++) {
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          scores[s] = attends(segmentIds, T, b, t, s) ? score(q, k, shape, b, t, h, s) : -Infinity;
          max = Math.max(max, scores[s]!);
        }
        let total = 0;
        for (let s = 0; s <= t; s++) total += Math.exp(scores[s]! - max);
        const lse = max + Math.log(total);
        logsumexp[(b * nHeads + h) * T + t] = lse;
        const outBase = ((b * T + t) * nHeads + h) * D;
        for (let d = 0; d < D; d++) {
          let sum = 0;
          for (let s = 0; s <= t; s++) {
            if (scores[s] === -Infinity) continue;
            sum += Math.exp(scores[s]! - lse) * v[((b * T + s) * nKvHeads + Math.floor(h / group)) * D + d]!;
          }
          out[outBase + d] = sum;
        }
      }
    }
  }
}

/**
 * P_ts = exp(score_ts − lse_t); dV_s += Σ_t P_ts·dout_t; dS_ts = P_ts·(dout_t·v_s − Δ_t) with
 * Δ_t = dout_t·out_t; dq_t += scale·Σ_s dS_ts·k_s; dk_s += scale·Σ_t dS_ts·q_t. Query heads of one
 * KV group all add into the same dk / dv rows.
 */
export function attentionBackward(
  dq: FloatArray,
  dk: FloatArray,
  dv: FloatArray,
  dout: FloatArray, // [B, T, nHeads, D]
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  out: FloatArray,
  logsumexp: FloatArray, // [B, nHeads, T]
  segmentIds: Int32Array | undefined,
  shape: AttentionShape,
): void {
  const { B, T, nHeads, nKvHeads, D, scale } = shape;
  const group = nHeads / nKvHeads;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHeads; h++) {
      const kvHead = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const row = ((b * T + t) * nHeads + h) * D;
        let delta = 0;
        for (let d = 0; d < D; d++) delta += dout[row + d]! * out[row + d]!;
        const lse = logsumexp[(b * nHeads + h) * T + t]!;
        for (let s = 0; s <= t; s++) {
          if (!attends(segmentIds, T, b, t, s)) continue;
          const kvRow = ((b * T + s) * nKvHeads + kvHead) * D;
          const p = Math.exp(score(q, k, shape, b, t, h, s) - lse);
          let dp = 0;
          for (let d = 0; d < D; d++) dp += dout[row + d]! * v[kvRow + d]!;
          const ds = p * (dp - delta) * scale;
          for (let d = 0; d < D; d++) {
            dv[kvRow + d]! += p * dout[row + d]!;
            dq[row + d]! += ds * k[kvRow + d]!;
            dk[kvRow + d]! += ds * q[row + d]!;
          }
        }
      }
    }
  }
}

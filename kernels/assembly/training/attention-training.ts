import { expScalar } from '../common/exp';
import { logScalar } from '../common/math64';
import { horizontalSum, madd, min32, partStart } from '../common/simd';

/**
 * Causal attention for training (kvLength = T) with an optional block-diagonal mask of packed
 * sequences (segments), and its flash-attention-2 backward. Scores are recomputed from q, k and the
 * saved logsumexp, never stored as a T×T matrix. Three kernels, each partitioned by what it writes
 * (so every thread count gives the same bits):
 *   attentionTraining:        unit (b, t, h) → out row and logsumexp (online softmax, key blocks of 64)
 *   attentionBackwardQuery:   unit (b, t, h) → Δ = dout·out, then dq row
 *   attentionBackwardKey:     unit (b, s, kvHead) → dk and dv rows, summing every query head of the group
 * `segments` is 0 when there is no mask.
 */
const KEY_BLOCK: i32 = 64;

export function attentionTrainingScratchBytes(D: i32): i32 {
  return ((D * 4 + 15) & ~15) + KEY_BLOCK * 4;
}

// @ts-ignore: decorator
@inline
function dot(a: usize, b: usize, D: i32): f32 {
  let s0 = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= D; d += 4) s0 = madd(v128.load(a + (<usize>d << 2)), v128.load(b + (<usize>d << 2)), s0);
  let sum = horizontalSum(s0);
  for (; d < D; d++) sum += load<f32>(a + (<usize>d << 2)) * load<f32>(b + (<usize>d << 2));
  return sum;
}

/** target += p · row. */
// @ts-ignore: decorator
@inline
function axpy(target: usize, row: usize, D: i32, p: f32): void {
  const weight = f32x4.splat(p);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const at = target + (<usize>d << 2);
    v128.store(at, madd(v128.load(row + (<usize>d << 2)), weight, v128.load(at)));
  }
  for (; d < D; d++) store<f32>(target + (<usize>d << 2), load<f32>(target + (<usize>d << 2)) + p * load<f32>(row + (<usize>d << 2)));
}

/** First key query t may see: 0, or the start of its segment (segments are contiguous runs). */
// @ts-ignore: decorator
@inline
function firstKey(segments: usize, b: i32, T: i32, t: i32): i32 {
  if (segments == 0) return 0;
  const base = segments + (<usize>(b * T) << 2);
  const id = load<i32>(base + (<usize>t << 2));
  let s = t;
  while (s > 0 && load<i32>(base + (<usize>(s - 1) << 2)) == id) s--;
  return s;
}

// @ts-ignore: decorator
@inline
function sameSegment(segments: usize, b: i32, T: i32, t: i32, s: i32): bool {
  if (segments == 0) return true;
  const base = segments + (<usize>(b * T) << 2);
  return load<i32>(base + (<usize>t << 2)) == load<i32>(base + (<usize>s << 2));
}

export function attentionTraining(
  thread: i32, threads: i32, out: usize, logsumexp: usize, q: usize, k: usize, v: usize, segments: usize,
  B: i32, T: i32, nHeads: i32, nKvHeads: i32, D: i32, scale: f32, scratch: usize, scratchStride: usize,
): void {
  const accumulator = scratch + <usize>thread * scratchStride;
  const scores = accumulator + <usize>((D * 4 + 15) & ~15);
  const group = nHeads / nKvHeads;
  const units = B * T * nHeads;
  const end = partStart(units, thread + 1, threads);
  const rowBytes = <usize>D << 2;
  const kvStride = <usize>nKvHeads * rowBytes;
  for (let unit = partStart(units, thread, threads); unit < end; unit++) {
    const h = unit % nHeads;
    const t = (unit / nHeads) % T;
    const b = unit / (nHeads * T);
    const query = q + <usize>unit * rowBytes;
    const kvBase = <usize>(b * T * nKvHeads + h / group) * rowBytes;
    memory.fill(accumulator, 0, rowBytes);
    let maximum: f32 = -Infinity;
    let total: f32 = 0;
    // A segment is a contiguous run of equal ids, so its keys are [firstKey, t]: no per-key test.
    for (let s0 = firstKey(segments, b, T, t); s0 <= t; s0 += KEY_BLOCK) {
      const count = min32(KEY_BLOCK, t + 1 - s0);
      let blockMaximum: f32 = -Infinity;
      for (let j = 0; j < count; j++) {
        const score = dot(query, k + kvBase + <usize>(s0 + j) * kvStride, D) * scale;
        store<f32>(scores + (<usize>j << 2), score);
        blockMaximum = max(blockMaximum, score);
      }
      const newMaximum = max(maximum, blockMaximum);
      if (newMaximum > maximum && total != 0) {
        const correction = expScalar(maximum - newMaximum);
        total *= correction;
        let d = 0;
        const f = f32x4.splat(correction);
        for (; d + 4 <= D; d += 4) v128.store(accumulator + (<usize>d << 2), f32x4.mul(v128.load(accumulator + (<usize>d << 2)), f));
        for (; d < D; d++) store<f32>(accumulator + (<usize>d << 2), load<f32>(accumulator + (<usize>d << 2)) * correction);
      }
      maximum = newMaximum;
      for (let j = 0; j < count; j++) {
        const p = expScalar(load<f32>(scores + (<usize>j << 2)) - maximum);
        total += p;
        axpy(accumulator, v + kvBase + <usize>(s0 + j) * kvStride, D, p);
      }
    }
    const target = out + <usize>unit * rowBytes;
    const inverse: f32 = 1 / total;
    for (let d = 0; d < D; d++) store<f32>(target + (<usize>d << 2), load<f32>(accumulator + (<usize>d << 2)) * inverse);
    store<f32>(logsumexp + (<usize>((b * nHeads + h) * T + t) << 2), maximum + <f32>logScalar(<f64>total));
  }
}

/** dq_t += scale · Σ_s P_ts (dout_t·v_s − Δ_t) k_s; writes Δ_t = dout_t·out_t to `deltas` [B, nHeads, T]. */
export function attentionBackwardQuery(
  thread: i32, threads: i32, dq: usize, deltas: usize, dout: usize, q: usize, k: usize, v: usize, out: usize, logsumexp: usize,
  segments: usize, B: i32, T: i32, nHeads: i32, nKvHeads: i32, D: i32, scale: f32,
): void {
  const group = nHeads / nKvHeads;
  const units = B * T * nHeads;
  const end = partStart(units, thread + 1, threads);
  const rowBytes = <usize>D << 2;
  const kvStride = <usize>nKvHeads * rowBytes;
  for (let unit = partStart(units, thread, threads); unit < end; unit++) {
    const h = unit % nHeads;
    const t = (unit / nHeads) % T;
    const b = unit / (nHeads * T);
    const row = <usize>unit * rowBytes;
    const delta = dot(dout + row, out + row, D);
    const statistics = <usize>((b * nHeads + h) * T + t) << 2;
    store<f32>(deltas + statistics, delta);
    const lse = load<f32>(logsumexp + statistics);
    const kvBase = <usize>(b * T * nKvHeads + h / group) * rowBytes;
    for (let s = firstKey(segments, b, T, t); s <= t; s++) {
      const key = k + kvBase + <usize>s * kvStride;
      const p = expScalar(dot(q + row, key, D) * scale - lse);
      const ds = p * (dot(dout + row, v + kvBase + <usize>s * kvStride, D) - delta) * scale;
      axpy(dq + row, key, D, ds);
    }
  }
}

/** dv_s += Σ_t P_ts dout_t and dk_s += scale · Σ_t dS_ts q_t over the group's heads and t ≥ s in s's segment. */
export function attentionBackwardKey(
  thread: i32, threads: i32, dk: usize, dv: usize, deltas: usize, dout: usize, q: usize, k: usize, v: usize, logsumexp: usize,
  segments: usize, B: i32, T: i32, nHeads: i32, nKvHeads: i32, D: i32, scale: f32,
): void {
  const group = nHeads / nKvHeads;
  const units = B * T * nKvHeads;
  const end = partStart(units, thread + 1, threads);
  const rowBytes = <usize>D << 2;
  for (let unit = partStart(units, thread, threads); unit < end; unit++) {
    const kvHead = unit % nKvHeads;
    const s = (unit / nKvHeads) % T;
    const b = unit / (nKvHeads * T);
    const key = k + <usize>unit * rowBytes;
    const value = v + <usize>unit * rowBytes;
    for (let h = kvHead * group; h < (kvHead + 1) * group; h++) {
      for (let t = s; t < T; t++) {
        if (!sameSegment(segments, b, T, t, s)) break; // segments are contiguous: none further on
        const row = <usize>((b * T + t) * nHeads + h) * rowBytes;
        const statistics = <usize>((b * nHeads + h) * T + t) << 2;
        const p = expScalar(dot(q + row, key, D) * scale - load<f32>(logsumexp + statistics));
        const ds = p * (dot(dout + row, value, D) - load<f32>(deltas + statistics)) * scale;
        axpy(dv + <usize>unit * rowBytes, dout + row, D, p);
        axpy(dk + <usize>unit * rowBytes, q + row, D, ds);
      }
    }
  }
}

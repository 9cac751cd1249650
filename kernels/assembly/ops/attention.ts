import { exp4, expScalar } from '../common/exp';
import { align16, horizontalSum, madd, min32, partStart } from '../common/simd';

/**
 * Causal grouped-query attention with a KV cache, flash style: keys are visited in blocks of 64,
 * each block's scores are exponentiated against a running maximum (online softmax), and the
 * output accumulates p·V rescaled whenever the maximum grows — no T×S score matrix.
 *
 * Work unit = one (batch, query token, head); threads take contiguous ranges, so the heads of one
 * KV group run back to back and reuse the same K/V rows from cache.
 */
const KEY_BLOCK: i32 = 64;

/** Scratch per thread: the D-float accumulator and one block of scores. */
export function attentionScratchBytes(D: i32): i32 {
  return align16(D * 4) + KEY_BLOCK * 4;
}

export function attention(
  thread: i32, threads: i32,
  out: usize, q: usize, k: usize, v: usize,
  B: i32, T: i32, S: i32, nHeads: i32, nKvHeads: i32, D: i32, kvLength: i32, scale: f32,
  scratch: usize, scratchStride: usize,
): void {
  const accumulator = scratch + <usize>thread * scratchStride;
  const scores = accumulator + <usize>align16(D * 4);
  const group = nHeads / nKvHeads;
  const units = B * T * nHeads;
  const end = partStart(units, thread + 1, threads);
  const rowBytes = <usize>D << 2;
  for (let unit = partStart(units, thread, threads); unit < end; unit++) {
    const h = unit % nHeads;
    const t = (unit / nHeads) % T;
    const b = unit / (nHeads * T);
    const query = q + <usize>unit * rowBytes; // [B, T, nHeads, D] is unit-major
    const keyCount = kvLength - T + t + 1;
    const kvBase = <usize>(b * S * nKvHeads + h / group) * rowBytes;
    const kvStride = <usize>nKvHeads * rowBytes;
    memory.fill(accumulator, 0, rowBytes);
    let maximum: f32 = -Infinity;
    let total: f32 = 0;
    for (let s0 = 0; s0 < keyCount; s0 += KEY_BLOCK) {
      const count = min32(KEY_BLOCK, keyCount - s0);
      let blockMaximum: f32 = -Infinity;
      let key = k + kvBase + <usize>s0 * kvStride;
      for (let j = 0; j < count; j++) {
        const score = dot(query, key, D) * scale;
        store<f32>(scores + (<usize>j << 2), score);
        blockMaximum = max(blockMaximum, score);
        key += kvStride;
      }
      const newMaximum = max(maximum, blockMaximum);
      if (newMaximum > maximum && total != 0) {
        const correction = expScalar(maximum - newMaximum);
        total *= correction;
        scaleInPlace(accumulator, D, correction);
      }
      maximum = newMaximum;
      exponentiate(scores, count, maximum);
      let value = v + kvBase + <usize>s0 * kvStride;
      for (let j = 0; j < count; j++) {
        const p = load<f32>(scores + (<usize>j << 2));
        total += p;
        axpy(accumulator, value, D, p);
        value += kvStride;
      }
    }
    const target = out + <usize>unit * rowBytes;
    const inverse = f32x4.splat(1 / total);
    let d = 0;
    for (; d + 4 <= D; d += 4) v128.store(target + (<usize>d << 2), f32x4.mul(v128.load(accumulator + (<usize>d << 2)), inverse));
    for (; d < D; d++) store<f32>(target + (<usize>d << 2), load<f32>(accumulator + (<usize>d << 2)) / total);
  }
}

// @ts-ignore: decorator
@inline
function dot(a: usize, b: usize, D: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let d = 0;
  for (; d + 8 <= D; d += 8) {
    const offset = <usize>d << 2;
    s0 = madd(v128.load(a + offset), v128.load(b + offset), s0);
    s1 = madd(v128.load(a + offset, 16), v128.load(b + offset, 16), s1);
  }
  if (d + 4 <= D) {
    s0 = madd(v128.load(a + (<usize>d << 2)), v128.load(b + (<usize>d << 2)), s0);
    d += 4;
  }
  let sum = horizontalSum(f32x4.add(s0, s1));
  for (; d < D; d++) sum += load<f32>(a + (<usize>d << 2)) * load<f32>(b + (<usize>d << 2));
  return sum;
}

/** scores[j] = e^(scores[j] − maximum), in place. */
function exponentiate(scores: usize, count: i32, maximum: f32): void {
  const shift = f32x4.splat(maximum);
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    const at = scores + (<usize>j << 2);
    v128.store(at, exp4(f32x4.sub(v128.load(at), shift)));
  }
  for (; j < count; j++) {
    const at = scores + (<usize>j << 2);
    store<f32>(at, expScalar(load<f32>(at) - maximum));
  }
}

// @ts-ignore: decorator
@inline
function axpy(accumulator: usize, row: usize, D: i32, p: f32): void {
  const weight = f32x4.splat(p);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const at = accumulator + (<usize>d << 2);
    v128.store(at, madd(v128.load(row + (<usize>d << 2)), weight, v128.load(at)));
  }
  for (; d < D; d++) {
    const at = accumulator + (<usize>d << 2);
    store<f32>(at, load<f32>(at) + p * load<f32>(row + (<usize>d << 2)));
  }
}

function scaleInPlace(values: usize, count: i32, factor: f32): void {
  const f = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(values + (<usize>i << 2), f32x4.mul(v128.load(values + (<usize>i << 2)), f));
  for (; i < count; i++) store<f32>(values + (<usize>i << 2), load<f32>(values + (<usize>i << 2)) * factor);
}

import { exp4, expScalar } from '../common/exp';
import { align16, dot4, horizontalSum, kv1, kv4, madd, min32, transposeSum } from '../common/simd';
import { chunkCount, claimChunk } from '../common/work-queue';

/**
 * Causal grouped-query attention with a KV cache, flash style: keys are visited in blocks of 64,
 * each block's scores are exponentiated against a running maximum (online softmax), and the
 * output accumulates p·V rescaled whenever the maximum grows — no T×S score matrix.
 *
 * Work unit = one (batch, query token, head); threads claim chunks of contiguous units
 * (work-queue.ts), so the heads of one KV group run back to back and reuse the same K/V rows from
 * cache. Causality makes a query's cost grow with its position (token t sees kvLength − T + t + 1
 * keys), so the chunks split the total key count evenly, not the unit count: an even unit split of
 * a 128-token prefill gave the second of two threads 3× the work of the first.
 *
 * Inside a unit, scores are computed four keys at a time (one horizontal sum per four keys) and
 * p·V accumulates four value rows per pass over the accumulator. Two heads of the same KV group
 * (same token, same keys) are processed together so that every K and V load serves both: 1.2× on
 * TinyLlama's 32:4 heads, 1.08× on SmolLM2's 9:3 (measured, one thread, 128-token prefill).
 *
 * Keys and values are f32 or f16 (`halfKv`); every function below is generic over their element
 * type `T` (f32 or u16), and f16 elements are widened to f32 exactly as they are loaded
 * (loadF16x4), so both caches share one arithmetic and the f16 one reads half the bytes.
 */
const KEY_BLOCK: i32 = 64;

/**
 * Scratch per thread, for each of the (up to) two query rows processed together: the D-float
 * accumulator, one block of scores, and the row's running maximum and total.
 */
export function attentionScratchBytes(D: i32): i32 {
  return 2 * rowScratchBytes(D);
}

// @ts-ignore: decorator
@inline
function rowScratchBytes(D: i32): i32 {
  return align16(D * 4) + KEY_BLOCK * 4 + 16;
}

export function attention(
  thread: i32, threads: i32,
  out: usize, q: usize, k: usize, v: usize,
  B: i32, T: i32, S: i32, nHeads: i32, nKvHeads: i32, D: i32, kvLength: i32, scale: f32, halfKv: i32,
  scratch: usize, scratchStride: usize, counter: usize,
): void {
  const work = scratch + <usize>thread * scratchStride;
  const chunks = chunkCount(B * T * nHeads, threads);
  for (let chunk = claimChunk(counter); chunk < chunks; chunk = claimChunk(counter)) {
    const start = unitStart(B, T, nHeads, kvLength, chunk, chunks);
    const end = unitStart(B, T, nHeads, kvLength, chunk + 1, chunks);
    if (halfKv) attendUnits<u16>(start, end, out, q, k, v, T, S, nHeads, nKvHeads, D, kvLength, scale, work);
    else attendUnits<f32>(start, end, out, q, k, v, T, S, nHeads, nKvHeads, D, kvLength, scale, work);
  }
}

/** Units [start, end). */
function attendUnits<T>(
  start: i32, end: i32, out: usize, q: usize, k: usize, v: usize,
  T: i32, S: i32, nHeads: i32, nKvHeads: i32, D: i32, kvLength: i32, scale: f32, work: usize,
): void {
  const group = nHeads / nKvHeads;
  const rowBytes = <usize>D << 2; // query and output rows (f32)
  const kvRowBytes = <usize>D * sizeof<T>();
  const kvStride = <usize>nKvHeads * kvRowBytes;
  for (let unit = start; unit < end; ) {
    const h = unit % nHeads;
    const t = (unit / nHeads) % T;
    const b = unit / (nHeads * T);
    // Two heads of one KV group (same token, so the same keys) share every K and V load.
    const rows = unit + 1 < end && h + 1 < nHeads && (h + 1) / group == h / group ? 2 : 1;
    const kvBase = <usize>(b * S * nKvHeads + h / group) * kvRowBytes;
    // [B, T, nHeads, D] is unit-major: the rows of `unit` and `unit + 1` are adjacent.
    attendRows<T>(rows, q + <usize>unit * rowBytes, out + <usize>unit * rowBytes, k + kvBase, v + kvBase, kvStride, kvLength - T + t + 1, D, scale, work);
    unit += rows;
  }
}

/**
 * Causal attention of `rows` (1 or 2) adjacent query rows over the same `keyCount` keys; writes
 * their outputs at `out`. Per-row state lives in `work` (see rowScratchBytes).
 */
function attendRows<T>(rows: i32, query: usize, out: usize, keys: usize, values: usize, kvStride: usize, keyCount: i32, D: i32, scale: f32, work: usize): void {
  const rowBytes = <usize>D << 2;
  const stateBytes = <usize>rowScratchBytes(D);
  for (let r = 0; r < rows; r++) {
    const accumulator = work + <usize>r * stateBytes;
    memory.fill(accumulator, 0, rowBytes);
    const state = accumulator + <usize>(align16(D * 4) + KEY_BLOCK * 4);
    store<f32>(state, -Infinity); // running maximum
    store<f32>(state, 0, 4); // running total
  }
  const scoresOffset = <usize>align16(D * 4);
  for (let s0 = 0; s0 < keyCount; s0 += KEY_BLOCK) {
    const count = min32(KEY_BLOCK, keyCount - s0);
    const key = keys + <usize>s0 * kvStride;
    const value = values + <usize>s0 * kvStride;
    if (rows == 2) scorePair<T>(query, query + rowBytes, key, kvStride, count, D, scale, work + scoresOffset, work + stateBytes + scoresOffset);
    else scoreOne<T>(query, key, kvStride, count, D, scale, work + scoresOffset);
    for (let r = 0; r < rows; r++) rescale(work + <usize>r * stateBytes, count, D);
    let j = 0;
    if (rows == 2) {
      const scoresA = work + scoresOffset;
      const scoresB = scoresA + stateBytes;
      for (; j + 4 <= count; j += 4) {
        const at = <usize>j << 2;
        axpy4x2<T>(work, work + stateBytes, value + <usize>j * kvStride, kvStride, D, scoresA + at, scoresB + at);
      }
    } else {
      const scores = work + scoresOffset;
      for (; j + 4 <= count; j += 4) {
        const at = scores + (<usize>j << 2);
        axpy4<T>(work, value + <usize>j * kvStride, kvStride, D, load<f32>(at), load<f32>(at, 4), load<f32>(at, 8), load<f32>(at, 12));
      }
    }
    for (; j < count; j++) {
      for (let r = 0; r < rows; r++) {
        const accumulator = work + <usize>r * stateBytes;
        axpy<T>(accumulator, value + <usize>j * kvStride, D, load<f32>(accumulator + scoresOffset + (<usize>j << 2)));
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    const accumulator = work + <usize>r * stateBytes;
    const total = load<f32>(accumulator + <usize>(align16(D * 4) + KEY_BLOCK * 4), 4);
    const target = out + <usize>r * rowBytes;
    const inverse = f32x4.splat(1 / total);
    let d = 0;
    for (; d + 4 <= D; d += 4) v128.store(target + (<usize>d << 2), f32x4.mul(v128.load(accumulator + (<usize>d << 2)), inverse));
    for (; d < D; d++) store<f32>(target + (<usize>d << 2), load<f32>(accumulator + (<usize>d << 2)) / total);
  }
}

/**
 * Online-softmax step of one row after its block of `count` scores was written: rescales the
 * accumulator and total when the maximum grows, exponentiates the scores in place and adds them
 * to the total.
 */
function rescale(accumulator: usize, count: i32, D: i32): void {
  const scores = accumulator + <usize>align16(D * 4);
  const state = scores + <usize>(KEY_BLOCK * 4);
  const maximum = load<f32>(state);
  let total = load<f32>(state, 4);
  let blockMaximum: f32 = -Infinity;
  let j = 0;
  if (count >= 4) {
    let maxima = f32x4.splat(-Infinity);
    for (; j + 4 <= count; j += 4) maxima = f32x4.max(maxima, v128.load(scores + (<usize>j << 2)));
    blockMaximum = max(max(f32x4.extract_lane(maxima, 0), f32x4.extract_lane(maxima, 1)), max(f32x4.extract_lane(maxima, 2), f32x4.extract_lane(maxima, 3)));
  }
  for (; j < count; j++) blockMaximum = max(blockMaximum, load<f32>(scores + (<usize>j << 2)));
  const newMaximum = max(maximum, blockMaximum);
  if (newMaximum > maximum && total != 0) {
    const correction = expScalar(maximum - newMaximum);
    total *= correction;
    scaleInPlace(accumulator, D, correction);
  }
  exponentiate(scores, count, newMaximum);
  let sum = f32x4.splat(0);
  j = 0;
  for (; j + 4 <= count; j += 4) sum = f32x4.add(sum, v128.load(scores + (<usize>j << 2)));
  let blockTotal = horizontalSum(sum);
  for (; j < count; j++) blockTotal += load<f32>(scores + (<usize>j << 2));
  store<f32>(state, newMaximum);
  store<f32>(state, total + blockTotal, 4);
}

/** Scaled scores of one query with keys [0, count) (`stride` bytes apart) into `scores`. */
function scoreOne<T>(query: usize, key: usize, stride: usize, count: i32, D: i32, scale: f32, scores: usize): void {
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    v128.store(scores + (<usize>j << 2), f32x4.mul(dot4<T>(query, key, stride, D), f32x4.splat(scale)));
    key += stride << 2;
  }
  for (; j < count; j++) {
    store<f32>(scores + (<usize>j << 2), dot<T>(query, key, D) * scale);
    key += stride;
  }
}

/** scoreOne for two queries at once: every key chunk loaded once, used twice. */
function scorePair<T>(queryA: usize, queryB: usize, key: usize, stride: usize, count: i32, D: i32, scale: f32, scoresA: usize, scoresB: usize): void {
  let j = 0;
  if ((D & 3) == 0) {
    for (; j + 4 <= count; j += 4) {
      dot4x2<T>(queryA, queryB, key, stride, D, scale, scoresA + (<usize>j << 2), scoresB + (<usize>j << 2));
      key += stride << 2;
    }
  }
  for (; j < count; j++) {
    store<f32>(scoresA + (<usize>j << 2), dot<T>(queryA, key, D) * scale);
    store<f32>(scoresB + (<usize>j << 2), dot<T>(queryB, key, D) * scale);
    key += stride;
  }
}

/** Keys seen by query rows [0, t) of one sequence: Σ_{i<t} (past + i + 1). */
// @ts-ignore: decorator
@inline
function keysBefore(t: i64, past: i64): i64 {
  return t * past + ((t * (t + 1)) >> 1);
}

/**
 * First unit (over B·T·nHeads units, batch-major, then token, then head) of `part`: the smallest u
 * whose preceding units see at least part/parts of all keys (a binary search: the prefix sum is
 * monotonic). Decode (T = 1) still splits by head.
 */
function unitStart(B: i32, T: i32, nHeads: i32, kvLength: i32, part: i32, parts: i32): i32 {
  const units = B * T * nHeads;
  if (part >= parts) return units;
  const past = <i64>(kvLength - T);
  const perSequence = keysBefore(<i64>T, past) * <i64>nHeads;
  const target = (perSequence * <i64>B * <i64>part) / <i64>parts;
  let low = 0, high = units;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const row = middle / nHeads;
    const t = <i64>(row % T);
    const before = <i64>(row / T) * perSequence + keysBefore(t, past) * <i64>nHeads + <i64>(middle % nHeads) * (past + t + 1);
    if (before < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

// @ts-ignore: decorator
@inline
function dot<T>(a: usize, b: usize, D: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let d = 0;
  for (; d + 8 <= D; d += 8) {
    const offset = <usize>d << 2;
    s0 = madd(v128.load(a + offset), kv4<T>(b, d), s0);
    s1 = madd(v128.load(a + offset, 16), kv4<T>(b, d + 4), s1);
  }
  if (d + 4 <= D) {
    s0 = madd(v128.load(a + (<usize>d << 2)), kv4<T>(b, d), s0);
    d += 4;
  }
  let sum = horizontalSum(f32x4.add(s0, s1));
  for (; d < D; d++) sum += load<f32>(a + (<usize>d << 2)) * kv1<T>(b, d);
  return sum;
}

/** accumulator[D] += p0·row0 + p1·row1 + p2·row2 + p3·row3 (rows `stride` bytes apart): one load and store of the accumulator per four keys. */
function axpy4<T>(accumulator: usize, row: usize, stride: usize, D: i32, p0: f32, p1: f32, p2: f32, p3: f32): void {
  const w0 = f32x4.splat(p0), w1 = f32x4.splat(p1), w2 = f32x4.splat(p2), w3 = f32x4.splat(p3);
  const r1 = row + stride, r2 = r1 + stride, r3 = r2 + stride;
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const at = accumulator + (<usize>d << 2);
    let sum = madd(kv4<T>(row, d), w0, v128.load(at));
    sum = madd(kv4<T>(r1, d), w1, sum);
    sum = madd(kv4<T>(r2, d), w2, sum);
    v128.store(at, madd(kv4<T>(r3, d), w3, sum));
  }
  for (; d < D; d++) {
    const at = accumulator + (<usize>d << 2);
    store<f32>(at, load<f32>(at) + p0 * kv1<T>(row, d) + p1 * kv1<T>(r1, d) + p2 * kv1<T>(r2, d) + p3 * kv1<T>(r3, d));
  }
}

/** Scaled dots of two queries with four keys, stored as f32x4 at outA and outB (D a multiple of 4). */
function dot4x2<T>(queryA: usize, queryB: usize, key: usize, stride: usize, D: i32, scale: f32, outA: usize, outB: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  const k1 = key + stride, k2 = k1 + stride, k3 = k2 + stride;
  for (let d = 0; d < D; d += 4) {
    const offset = <usize>d << 2;
    const x = v128.load(queryA + offset), y = v128.load(queryB + offset);
    let kv = kv4<T>(key, d);
    a0 = madd(x, kv, a0); b0 = madd(y, kv, b0);
    kv = kv4<T>(k1, d);
    a1 = madd(x, kv, a1); b1 = madd(y, kv, b1);
    kv = kv4<T>(k2, d);
    a2 = madd(x, kv, a2); b2 = madd(y, kv, b2);
    kv = kv4<T>(k3, d);
    a3 = madd(x, kv, a3); b3 = madd(y, kv, b3);
  }
  v128.store(outA, f32x4.mul(transposeSum(a0, a1, a2, a3), f32x4.splat(scale)));
  v128.store(outB, f32x4.mul(transposeSum(b0, b1, b2, b3), f32x4.splat(scale)));
}

/** axpy4 for two accumulators with their own four weights (at pa, pb): each V chunk loaded once. */
function axpy4x2<T>(accumulatorA: usize, accumulatorB: usize, row: usize, stride: usize, D: i32, pa: usize, pb: usize): void {
  const wa0 = v128.load32_splat(pa), wa1 = v128.load32_splat(pa, 4), wa2 = v128.load32_splat(pa, 8), wa3 = v128.load32_splat(pa, 12);
  const wb0 = v128.load32_splat(pb), wb1 = v128.load32_splat(pb, 4), wb2 = v128.load32_splat(pb, 8), wb3 = v128.load32_splat(pb, 12);
  const r1 = row + stride, r2 = r1 + stride, r3 = r2 + stride;
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const offset = <usize>d << 2;
    let x = kv4<T>(row, d);
    let sumA = madd(x, wa0, v128.load(accumulatorA + offset));
    let sumB = madd(x, wb0, v128.load(accumulatorB + offset));
    x = kv4<T>(r1, d);
    sumA = madd(x, wa1, sumA); sumB = madd(x, wb1, sumB);
    x = kv4<T>(r2, d);
    sumA = madd(x, wa2, sumA); sumB = madd(x, wb2, sumB);
    x = kv4<T>(r3, d);
    v128.store(accumulatorA + offset, madd(x, wa3, sumA));
    v128.store(accumulatorB + offset, madd(x, wb3, sumB));
  }
  for (; d < D; d++) {
    const offset = <usize>d << 2;
    const x0 = kv1<T>(row, d), x1 = kv1<T>(r1, d), x2 = kv1<T>(r2, d), x3 = kv1<T>(r3, d);
    store<f32>(accumulatorA + offset, load<f32>(accumulatorA + offset) + load<f32>(pa) * x0 + load<f32>(pa, 4) * x1 + load<f32>(pa, 8) * x2 + load<f32>(pa, 12) * x3);
    store<f32>(accumulatorB + offset, load<f32>(accumulatorB + offset) + load<f32>(pb) * x0 + load<f32>(pb, 4) * x1 + load<f32>(pb, 8) * x2 + load<f32>(pb, 12) * x3);
  }
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
function axpy<T>(accumulator: usize, row: usize, D: i32, p: f32): void {
  const weight = f32x4.splat(p);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const at = accumulator + (<usize>d << 2);
    v128.store(at, madd(kv4<T>(row, d), weight, v128.load(at)));
  }
  for (; d < D; d++) {
    const at = accumulator + (<usize>d << 2);
    store<f32>(at, load<f32>(at) + p * kv1<T>(row, d));
  }
}

function scaleInPlace(values: usize, count: i32, factor: f32): void {
  const f = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(values + (<usize>i << 2), f32x4.mul(v128.load(values + (<usize>i << 2)), f));
  for (; i < count; i++) store<f32>(values + (<usize>i << 2), load<f32>(values + (<usize>i << 2)) * factor);
}

import { F16_EXPONENT_SHIFT, f16ToF32, f16x4ToF32 } from '../common/decode';
import { exp4, expScalar } from '../common/exp';
import { align16, dot4, horizontalSum, madd, min32, partStart, transposeSum } from '../common/simd';
import { chunkCount, claimChunk } from '../common/work-queue';

/**
 * Causal grouped-query attention with a KV cache, flash style: keys are visited in blocks of 64,
 * each block's scores are exponentiated against a running maximum (online softmax), and the
 * output accumulates p·V rescaled whenever the maximum grows — no T×S score matrix.
 *
 * Two paths: `attention` (prefill: many queries) splits the queries across threads, attentionDecode
 * (a few queries) splits the keys (see there).
 *
 * Prefill work unit = one tile of up to TILE_ROWS query rows of one KV group — (token, head) pairs,
 * token-major, every head of the group for each token — and the tile walks the keys block by block
 * with all its rows, so a block of K and V is fetched once for the whole tile and then served from
 * L1/L2. (Row-at-a-time units re-read each KV head's whole cache from L3 for every pair of rows:
 * SmolLM2's 256-query chunk at 2048 keys streamed 1 MiB per pair and ran at 12.2 GMAC/s per
 * thread; tiles: 14.2.)
 * Causality makes later tokens' tiles dearer, so threads claim the tiles last token first, and the
 * last claims are the cheapest.
 *
 * Inside a tile, scores are computed four keys at a time (one horizontal sum per four keys) and
 * p·V accumulates four value rows per pass over the accumulator. The scoring pass also takes the
 * block's maximum and the exponentials are summed as they are written, so the softmax step reads
 * the scores once (it was a quarter of the tile's time with separate max, exp and sum passes; with
 * one, the 256-query chunk above runs at 16.1 GMAC/s). Rows are processed in pairs that see the
 * same keys, so that every K and V load serves two rows: 1.2× on TinyLlama's 32:4 heads, 1.08× on
 * SmolLM2's 9:3 when pairs were heads of one token (measured, one thread, 128-token prefill); off
 * the diagonal any two rows see the same keys, so pairs may cross tokens and SmolLM2's odd group
 * no longer leaves every third row alone (256-query chunk above: 35.1 → 30.6 ms).
 *
 * An f16 cache (`halfKv`) is widened to f32 one block of keys at a time, into scratch, and the
 * block is then attended exactly like an f32 one; once per tile, so prefill reads an f16 cache at
 * about f32 speed (256-query chunk at 2048 keys: 36.2 against 35.1 ms; widening per pair of rows
 * took 70.7).
 */
const KEY_BLOCK: i32 = 64;
/** Most query rows attended together: a prefill tile, or (decode) the heads of one KV group. */
const TILE_ROWS: i32 = 64;
/** Keys per split of attentionDecode. */
const SPLIT_KEYS: i32 = 256;

/** Splits of attentionDecode over `kvLength` keys: a function of the shape alone, so results do not depend on the thread count. */
export function attentionSplits(kvLength: i32): i32 {
  return (kvLength + SPLIT_KEYS - 1) / SPLIT_KEYS;
}

/**
 * Scratch per thread: for each query row processed together (up to TILE_ROWS), the D-float
 * accumulator, one block of scores, and the row's running maximum, total and block maximum; then one block of
 * keys and one of values widened from f16.
 */
export function attentionScratchBytes(D: i32): i32 {
  return TILE_ROWS * rowScratchBytes(D) + 2 * KEY_BLOCK * align16(D * 4);
}

// @ts-ignore: decorator
@inline
function rowScratchBytes(D: i32): i32 {
  return align16(D * 4) + KEY_BLOCK * 4 + 16;
}

/** Query rows per prefill tile: whole tokens (all heads of the group) when a token's heads fit. */
// @ts-ignore: decorator
@inline
function tileRows(group: i32): i32 {
  return group <= TILE_ROWS ? (TILE_ROWS / group) * group : TILE_ROWS;
}

export function attention(
  thread: i32, threads: i32,
  out: usize, q: usize, k: usize, v: usize,
  B: i32, T: i32, S: i32, nHeads: i32, nKvHeads: i32, D: i32, kvLength: i32, scale: f32, halfKv: i32,
  scratch: usize, scratchStride: usize, counter: usize,
): void {
  const work = scratch + <usize>thread * scratchStride;
  const half = halfKv != 0;
  const group = nHeads / nKvHeads;
  const rowsPerTile = tileRows(group);
  const groupRows = T * group; // query rows of one (sequence, KV head)
  const tiles = (groupRows + rowsPerTile - 1) / rowsPerTile;
  const rowBytes = <usize>D << 2;
  const kvRowBytes = half ? <usize>D << 1 : rowBytes;
  const kvStride = <usize>nKvHeads * kvRowBytes;
  const tokenStride = <usize>nHeads * rowBytes;
  const groups = B * nKvHeads;
  const units = groups * tiles;
  for (let unit = claimChunk(counter); unit < units; unit = claimChunk(counter)) {
    const tile = tiles - 1 - unit / groups; // last tokens (most keys) first
    const b = (unit % groups) / nKvHeads;
    const kvHead = unit % nKvHeads;
    const first = tile * rowsPerTile;
    const rows = min32(rowsPerTile, groupRows - first);
    const token = first / group;
    // Row 0 of the tile is head `first % group` of `token`; addresses are those of the group's head 0.
    const base = (<usize>(b * T + token) * <usize>nHeads + <usize>(kvHead * group)) * rowBytes;
    const kvBase = <usize>(b * S * nKvHeads + kvHead) * kvRowBytes;
    attendRows(
      rows, first % group, group, q + base, tokenStride, out + base, rowBytes, tokenStride, false,
      k + kvBase, v + kvBase, kvStride, kvLength - T + token + 1, D, scale, half, work,
    );
  }
}

/**
 * Attention for a few queries per sequence (decode), flash-decoding style: the work units are
 * (sequence, query, KV head, split of SPLIT_KEYS keys), and each attends every head of its KV group
 * over its keys, so a KV cache row is read from memory once per token rather than once per head
 * pair (a head-pair split re-read TinyLlama's 2048-key cache four times per layer, from memory:
 * in-model attention ran 3× slower than the same call on a warm cache). With one split the unit
 * writes the output; with more it writes a partial — unnormalised output, maximum, total — per
 * head and split into `partials` ([B·T, nHeads, splits, D + 2]) and attentionMerge combines them.
 */
export function attentionDecode(
  thread: i32, threads: i32,
  out: usize, q: usize, k: usize, v: usize, partials: usize,
  B: i32, T: i32, S: i32, nHeads: i32, nKvHeads: i32, D: i32, kvLength: i32, scale: f32, halfKv: i32,
  scratch: usize, scratchStride: usize, counter: usize,
): void {
  const work = scratch + <usize>thread * scratchStride;
  const half = halfKv != 0;
  const group = nHeads / nKvHeads;
  const splits = attentionSplits(kvLength);
  const rowBytes = <usize>D << 2;
  const kvRowBytes = half ? <usize>D << 1 : rowBytes;
  const kvStride = <usize>nKvHeads * kvRowBytes;
  const partialBytes = <usize>(D + 2) << 2;
  const units = B * T * nKvHeads * splits;
  const chunks = chunkCount(units, threads);
  for (let chunk = claimChunk(counter); chunk < chunks; chunk = claimChunk(counter)) {
    const end = partStart(units, chunk + 1, chunks);
    for (let unit = partStart(units, chunk, chunks); unit < end; unit++) {
      const split = unit % splits;
      const kvHead = (unit / splits) % nKvHeads;
      const query = unit / (splits * nKvHeads); // b · T + t
      const b = query / T;
      const keyCount = kvLength - T + query % T + 1;
      const s0 = split * SPLIT_KEYS;
      const count = min32(SPLIT_KEYS, keyCount - s0); // ≤ 0: an earlier query's keys end before this split
      const kvBase = <usize>(b * S * nKvHeads + kvHead) * kvRowBytes + <usize>s0 * kvStride;
      const head = query * nHeads + kvHead * group; // the group's head 0, over B·T·nHeads
      for (let r0 = 0; r0 < group; r0 += TILE_ROWS) {
        const rows = min32(TILE_ROWS, group - r0);
        if (splits == 1) {
          attendRows(rows, r0, group, q + <usize>head * rowBytes, 0, out + <usize>head * rowBytes, rowBytes, 0, false, k + kvBase, v + kvBase, kvStride, count, D, scale, half, work);
        } else {
          const target = partials + (<usize>head * <usize>splits + <usize>split) * partialBytes;
          attendRows(rows, r0, group, q + <usize>head * rowBytes, 0, target, <usize>splits * partialBytes, 0, true, k + kvBase, v + kvBase, kvStride, max(count, 0), D, scale, half, work);
        }
      }
    }
  }
}

/** out[row] = the splits' partials of each of `rows` query rows combined with their rescaling (see attentionDecode). */
export function attentionMerge(thread: i32, threads: i32, out: usize, partials: usize, rows: i32, D: i32, splits: i32): void {
  const partialBytes = <usize>(D + 2) << 2;
  const end = partStart(rows, thread + 1, threads);
  for (let row = partStart(rows, thread, threads); row < end; row++) {
    const base = partials + <usize>row * <usize>splits * partialBytes;
    let maximum: f32 = -Infinity;
    for (let s = 0; s < splits; s++) maximum = max(maximum, load<f32>(base + <usize>s * partialBytes + (<usize>D << 2)));
    const target = out + <usize>row * (<usize>D << 2);
    memory.fill(target, 0, <usize>D << 2);
    let total: f32 = 0;
    for (let s = 0; s < splits; s++) {
      const partial = base + <usize>s * partialBytes;
      const splitTotal = load<f32>(partial + (<usize>D << 2), 4);
      if (splitTotal == 0) continue; // a split past this query's keys
      const weight = expScalar(load<f32>(partial + (<usize>D << 2)) - maximum);
      total += splitTotal * weight;
      axpy(target, partial, D, weight);
    }
    scaleInPlace(target, D, 1 / total);
  }
}

/**
 * Causal attention of `rows` query rows of one KV group: row r is head (firstHead + r) % group of
 * token (firstHead + r) / group, counted from `query`/`out` (the group's head 0 of the first
 * token; heads rowBytes / `outStride` bytes apart, tokens `queryTokenStride` / `outTokenStride`),
 * and sees the first `firstKeyCount` + token keys (`kvStride` bytes apart; f16 when `half`).
 * Writes the outputs normalised, or with `partial` unnormalised and followed by the running
 * maximum and total (attentionDecode). Per-row state lives in `work` (see rowScratchBytes); each
 * block of keys is widened (f16) once and serves every row; two heads of one token share each key
 * and value load.
 */
function attendRows(
  rows: i32, firstHead: i32, group: i32, query: usize, queryTokenStride: usize,
  out: usize, outStride: usize, outTokenStride: usize, partial: bool,
  keys: usize, values: usize, kvStride: usize, firstKeyCount: i32, D: i32, scale: f32, half: bool, work: usize,
): void {
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
  const widenedKeys = work + <usize>TILE_ROWS * stateBytes;
  const widenedValues = widenedKeys + <usize>(KEY_BLOCK * align16(D * 4));
  const lastKeyCount = firstKeyCount + (firstHead + rows - 1) / group;
  for (let s0 = 0; s0 < lastKeyCount; s0 += KEY_BLOCK) {
    let key = keys + <usize>s0 * kvStride;
    let value = values + <usize>s0 * kvStride;
    let stride = kvStride;
    if (half) {
      const count = min32(KEY_BLOCK, lastKeyCount - s0);
      widenBlock(key, kvStride, count, D, widenedKeys);
      widenBlock(value, kvStride, count, D, widenedValues);
      key = widenedKeys;
      value = widenedValues;
      stride = <usize>align16(D * 4);
    }
    // Rows in pairs that see the same keys of this block (any two off the diagonal, where every
    // row sees all 64); a row whose keys end before this block sits it out.
    for (let r = 0; r < rows; ) {
      const token = (firstHead + r) / group;
      const count = min32(KEY_BLOCK, firstKeyCount + token - s0);
      if (count <= 0) {
        r++;
        continue;
      }
      const nextToken = (firstHead + r + 1) / group;
      const pair = r + 1 < rows && min32(KEY_BLOCK, firstKeyCount + nextToken - s0) == count;
      const row = work + <usize>r * stateBytes;
      const rowQuery = query + <usize>token * queryTokenStride + <usize>((firstHead + r) % group) * rowBytes;
      if (pair) {
        const nextQuery = query + <usize>nextToken * queryTokenStride + <usize>((firstHead + r + 1) % group) * rowBytes;
        scorePair(rowQuery, nextQuery, key, stride, count, D, scale, row + scoresOffset, row + stateBytes + scoresOffset);
        rescale(row, count, D);
        rescale(row + stateBytes, count, D);
      } else {
        scoreOne(rowQuery, key, stride, count, D, scale, row + scoresOffset);
        rescale(row, count, D);
      }
      accumulateBlock(pair ? 2 : 1, row, stateBytes, value, stride, count, D);
      r += pair ? 2 : 1;
    }
  }
  for (let r = 0; r < rows; r++) {
    const accumulator = work + <usize>r * stateBytes;
    const state = accumulator + <usize>(align16(D * 4) + KEY_BLOCK * 4);
    const total = load<f32>(state, 4);
    const head = (firstHead + r) % group;
    const token = (firstHead + r) / group;
    const target = out + <usize>token * outTokenStride + <usize>head * outStride;
    if (partial) {
      memory.copy(target, accumulator, rowBytes);
      store<f32>(target + rowBytes, load<f32>(state)); // running maximum
      store<f32>(target + rowBytes, total, 4);
      continue;
    }
    const inverse = f32x4.splat(1 / total);
    let d = 0;
    for (; d + 4 <= D; d += 4) v128.store(target + (<usize>d << 2), f32x4.mul(v128.load(accumulator + (<usize>d << 2)), inverse));
    for (; d < D; d++) store<f32>(target + (<usize>d << 2), load<f32>(accumulator + (<usize>d << 2)) / total);
  }
}

/** accumulator += Σ_j p_j · value_j over one block, for `rows` (1 or 2) rows whose state starts at `work`. */
function accumulateBlock(rows: i32, work: usize, stateBytes: usize, value: usize, stride: usize, count: i32, D: i32): void {
  const scoresOffset = <usize>align16(D * 4);
  let j = 0;
  if (rows == 2) {
    const scoresA = work + scoresOffset;
    const scoresB = scoresA + stateBytes;
    for (; j + 4 <= count; j += 4) {
      const at = <usize>j << 2;
      axpy4x2(work, work + stateBytes, value + <usize>j * stride, stride, D, scoresA + at, scoresB + at);
    }
  } else {
    const scores = work + scoresOffset;
    for (; j + 4 <= count; j += 4) {
      const at = scores + (<usize>j << 2);
      axpy4(work, value + <usize>j * stride, stride, D, load<f32>(at), load<f32>(at, 4), load<f32>(at, 8), load<f32>(at, 12));
    }
  }
  for (; j < count; j++) {
    for (let r = 0; r < rows; r++) {
      const accumulator = work + <usize>r * stateBytes;
      axpy(accumulator, value + <usize>j * stride, D, load<f32>(accumulator + scoresOffset + (<usize>j << 2)));
    }
  }
}

/**
 * `count` rows of D f16 values (`stride` bytes apart) → f32 at `out`, rows align16(4·D) bytes
 * apart. Eight values per step: widen, move exponent and mantissa into f32 position and rebias by
 * 2^112 (exact, subnormals included); a row holding inf or NaN, which that shortcut would turn
 * finite, is redone exactly (f16x4ToF32), so the result is the reference's conversion either way.
 */
function widenBlock(rows: usize, stride: usize, count: i32, D: i32, out: usize): void {
  const mask = i32x4.splat(0x8fffe000);
  const rebias = f32x4.splat(F16_EXPONENT_SHIFT);
  const exponent = i16x8.splat(0x7c00);
  for (let j = 0; j < count; j++) {
    const row = rows + <usize>j * stride;
    const target = out + <usize>j * <usize>align16(D * 4);
    let special = v128.splat<i32>(0);
    let d = 0;
    for (; d + 8 <= D; d += 8) {
      const halves = v128.load(row + (<usize>d << 1));
      special = v128.or(special, i16x8.eq(v128.and(halves, exponent), exponent));
      const at = target + (<usize>d << 2);
      v128.store(at, f32x4.mul(v128.and(i32x4.shl(i32x4.extend_low_i16x8_s(halves), 13), mask), rebias));
      v128.store(at, f32x4.mul(v128.and(i32x4.shl(i32x4.extend_high_i16x8_s(halves), 13), mask), rebias), 16);
    }
    if (v128.any_true(special)) {
      d = 0;
      for (; d + 4 <= D; d += 4) v128.store(target + (<usize>d << 2), f16x4ToF32(v128.load16x4_u(row + (<usize>d << 1))));
    }
    for (; d < D; d++) store<f32>(target + (<usize>d << 2), f16ToF32(load<u16>(row + (<usize>d << 1))));
  }
}

/**
 * Online-softmax step of one row after its block of `count` scores and their maximum were written
 * (scoreOne, scorePair): rescales the accumulator and total when the maximum grows, exponentiates
 * the scores in place and adds them to the total, in one pass.
 */
function rescale(accumulator: usize, count: i32, D: i32): void {
  const scores = accumulator + <usize>align16(D * 4);
  const state = scores + <usize>(KEY_BLOCK * 4);
  const maximum = load<f32>(state);
  let total = load<f32>(state, 4);
  const newMaximum = max(maximum, load<f32>(state, 8));
  if (newMaximum > maximum && total != 0) {
    const correction = expScalar(maximum - newMaximum);
    total *= correction;
    scaleInPlace(accumulator, D, correction);
  }
  const shift = f32x4.splat(newMaximum);
  let sum = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    const at = scores + (<usize>j << 2);
    const e = exp4(f32x4.sub(v128.load(at), shift));
    v128.store(at, e);
    sum = f32x4.add(sum, e);
  }
  let blockTotal = horizontalSum(sum);
  for (; j < count; j++) {
    const at = scores + (<usize>j << 2);
    const e = expScalar(load<f32>(at) - newMaximum);
    store<f32>(at, e);
    blockTotal += e;
  }
  store<f32>(state, newMaximum);
  store<f32>(state, total + blockTotal, 4);
}

/**
 * Scaled scores of one query with keys [0, count) (`stride` bytes apart) into `scores`, and their
 * maximum into the row's state after them (read by rescale).
 */
function scoreOne(query: usize, key: usize, stride: usize, count: i32, D: i32, scale: f32, scores: usize): void {
  let maxima = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    const block = f32x4.mul(dot4(query, key, stride, D), f32x4.splat(scale));
    v128.store(scores + (<usize>j << 2), block);
    maxima = f32x4.max(maxima, block);
    key += stride << 2;
  }
  let maximum = largestLane(maxima);
  for (; j < count; j++) {
    const score = dot(query, key, D) * scale;
    store<f32>(scores + (<usize>j << 2), score);
    maximum = max(maximum, score);
    key += stride;
  }
  store<f32>(scores + (<usize>KEY_BLOCK << 2), maximum, 8);
}

/** scoreOne for two queries at once: every key chunk loaded once, used twice. */
function scorePair(queryA: usize, queryB: usize, key: usize, stride: usize, count: i32, D: i32, scale: f32, scoresA: usize, scoresB: usize): void {
  let maximaA = f32x4.splat(-Infinity), maximaB = f32x4.splat(-Infinity);
  let j = 0;
  if ((D & 3) == 0) {
    for (; j + 4 <= count; j += 4) {
      const at = <usize>j << 2;
      dot4x2(queryA, queryB, key, stride, D, scale, scoresA + at, scoresB + at);
      maximaA = f32x4.max(maximaA, v128.load(scoresA + at));
      maximaB = f32x4.max(maximaB, v128.load(scoresB + at));
      key += stride << 2;
    }
  }
  let maximumA = largestLane(maximaA), maximumB = largestLane(maximaB);
  for (; j < count; j++) {
    const scoreA = dot(queryA, key, D) * scale, scoreB = dot(queryB, key, D) * scale;
    store<f32>(scoresA + (<usize>j << 2), scoreA);
    store<f32>(scoresB + (<usize>j << 2), scoreB);
    maximumA = max(maximumA, scoreA);
    maximumB = max(maximumB, scoreB);
    key += stride;
  }
  store<f32>(scoresA + (<usize>KEY_BLOCK << 2), maximumA, 8);
  store<f32>(scoresB + (<usize>KEY_BLOCK << 2), maximumB, 8);
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

/** accumulator[D] += p0·row0 + p1·row1 + p2·row2 + p3·row3 (rows `stride` bytes apart): one load and store of the accumulator per four keys. */
// @ts-ignore: decorator
@inline
function axpy4(accumulator: usize, row: usize, stride: usize, D: i32, p0: f32, p1: f32, p2: f32, p3: f32): void {
  const w0 = f32x4.splat(p0), w1 = f32x4.splat(p1), w2 = f32x4.splat(p2), w3 = f32x4.splat(p3);
  const r1 = row + stride, r2 = r1 + stride, r3 = r2 + stride;
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const offset = <usize>d << 2;
    const at = accumulator + offset;
    let sum = madd(v128.load(row + offset), w0, v128.load(at));
    sum = madd(v128.load(r1 + offset), w1, sum);
    sum = madd(v128.load(r2 + offset), w2, sum);
    v128.store(at, madd(v128.load(r3 + offset), w3, sum));
  }
  for (; d < D; d++) {
    const offset = <usize>d << 2;
    const at = accumulator + offset;
    store<f32>(at, load<f32>(at) + p0 * load<f32>(row + offset) + p1 * load<f32>(r1 + offset) + p2 * load<f32>(r2 + offset) + p3 * load<f32>(r3 + offset));
  }
}

/** Scaled dots of two queries with four keys, stored as f32x4 at outA and outB (D a multiple of 4). */
// @ts-ignore: decorator
@inline
function dot4x2(queryA: usize, queryB: usize, key: usize, stride: usize, D: i32, scale: f32, outA: usize, outB: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  const k1 = key + stride, k2 = k1 + stride, k3 = k2 + stride;
  for (let d = 0; d < D; d += 4) {
    const offset = <usize>d << 2;
    const x = v128.load(queryA + offset), y = v128.load(queryB + offset);
    let kv = v128.load(key + offset);
    a0 = madd(x, kv, a0); b0 = madd(y, kv, b0);
    kv = v128.load(k1 + offset);
    a1 = madd(x, kv, a1); b1 = madd(y, kv, b1);
    kv = v128.load(k2 + offset);
    a2 = madd(x, kv, a2); b2 = madd(y, kv, b2);
    kv = v128.load(k3 + offset);
    a3 = madd(x, kv, a3); b3 = madd(y, kv, b3);
  }
  v128.store(outA, f32x4.mul(transposeSum(a0, a1, a2, a3), f32x4.splat(scale)));
  v128.store(outB, f32x4.mul(transposeSum(b0, b1, b2, b3), f32x4.splat(scale)));
}

/** axpy4 for two accumulators with their own four weights (at pa, pb): each V chunk loaded once. */
// @ts-ignore: decorator
@inline
function axpy4x2(accumulatorA: usize, accumulatorB: usize, row: usize, stride: usize, D: i32, pa: usize, pb: usize): void {
  const wa0 = v128.load32_splat(pa), wa1 = v128.load32_splat(pa, 4), wa2 = v128.load32_splat(pa, 8), wa3 = v128.load32_splat(pa, 12);
  const wb0 = v128.load32_splat(pb), wb1 = v128.load32_splat(pb, 4), wb2 = v128.load32_splat(pb, 8), wb3 = v128.load32_splat(pb, 12);
  const r1 = row + stride, r2 = r1 + stride, r3 = r2 + stride;
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const offset = <usize>d << 2;
    let x = v128.load(row + offset);
    let sumA = madd(x, wa0, v128.load(accumulatorA + offset));
    let sumB = madd(x, wb0, v128.load(accumulatorB + offset));
    x = v128.load(r1 + offset);
    sumA = madd(x, wa1, sumA); sumB = madd(x, wb1, sumB);
    x = v128.load(r2 + offset);
    sumA = madd(x, wa2, sumA); sumB = madd(x, wb2, sumB);
    x = v128.load(r3 + offset);
    v128.store(accumulatorA + offset, madd(x, wa3, sumA));
    v128.store(accumulatorB + offset, madd(x, wb3, sumB));
  }
  for (; d < D; d++) {
    const offset = <usize>d << 2;
    const x0 = load<f32>(row + offset), x1 = load<f32>(r1 + offset), x2 = load<f32>(r2 + offset), x3 = load<f32>(r3 + offset);
    store<f32>(accumulatorA + offset, load<f32>(accumulatorA + offset) + load<f32>(pa) * x0 + load<f32>(pa, 4) * x1 + load<f32>(pa, 8) * x2 + load<f32>(pa, 12) * x3);
    store<f32>(accumulatorB + offset, load<f32>(accumulatorB + offset) + load<f32>(pb) * x0 + load<f32>(pb, 4) * x1 + load<f32>(pb, 8) * x2 + load<f32>(pb, 12) * x3);
  }
}

/** Largest lane, NaN if any lane is (f32x4.max, unlike horizontalMax's pmax, propagates NaN). */
// @ts-ignore: decorator
@inline
function largestLane(v: v128): f32 {
  const pairs = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(pairs, v128.shuffle<f32>(pairs, pairs, 1, 0, 3, 2)), 0);
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

import { BLOCK, DTYPE_Q8_0, Q4_0_BLOCK_BYTES, Q8_0_BLOCK_BYTES, f16ToF32, f16ToF32High, highNibbles } from '../common/decode';
import { align16, horizontalSum, horizontalSumI32, madd } from '../common/simd';
import { blockScale, codeSum, codesI16, inverseScale } from './quantize-block';

/**
 * Q8_0 / Q4_0 matvec with integer dot products, llama.cpp's q8_0 × q8_0 / q4_0 scheme: the
 * activation row is quantized once to int8 blocks of 32 (one f32 scale each), then every weight
 * block costs integer multiply-adds plus one f32 multiply-add, and weights never leave int8.
 *
 * Q8_0: both operands widened to i16 and multiplied with `i32x4.dot_i16x8_s` (pmaddwd), in both
 * builds — a relaxed int8 dot needs one operand 7-bit (0..127), and moving q's sign onto the
 * weights costs more instructions than the widening it saves.
 * Q4_0 in the relaxed build: the raw nibble (0..15) is 7-bit, so `i16x8.relaxed_dot_i8x16_i7x16_s`
 * (pmaddubsw / SDOT) multiplies it with int8 activations directly, and the −8 offset becomes a
 * per-block correction −8·Σq. Not `i32x4.relaxed_dot_i8x16_i7x16_add_s`: V8 11.3 (Node 20) on an
 * AVX-VNNI CPU returns 2·dot and drops the accumulator (measured on the dev box), while the i16
 * form is exact everywhere. The plain build widens the nibbles to i16 like Q8_0. The relaxed Q4_0
 * row walks four blocks per step (dotQ4_0Fast): one four-scale f16 conversion and one folded
 * widening per four blocks instead of scalar f16 decodes, 1.07–1.18× per thread (measured).
 *
 * Activation layout in scratch, for K values in nb = K/32 blocks:
 *   fence 16 B | scales f32[nb] | sums i32[nb] (8·Σq, the Q4_0 offset correction) | q i8[K] | q i16[K]
 * The fence is a slot dotQ4_0Fast writes and nothing reads (see there); at `work` itself, its
 * address costs no register.
 */
const FENCE_BYTES: usize = 16;

export function quantizedActivationBytes(K: i32): i32 {
  const blocks = K / BLOCK;
  return <i32>FENCE_BYTES + 2 * align16(blocks * 4) + align16(K) + align16(K * 2);
}

// @ts-ignore: decorator
@inline function scalesOf(work: usize): usize { return work + FENCE_BYTES; }
// @ts-ignore: decorator
@inline function sumsOf(work: usize, blocks: i32): usize { return scalesOf(work) + <usize>align16(blocks * 4); }
// @ts-ignore: decorator
@inline function quantsOf(work: usize, blocks: i32): usize { return scalesOf(work) + <usize>(2 * align16(blocks * 4)); }
// @ts-ignore: decorator
@inline function wideOf(work: usize, blocks: i32, K: i32): usize { return quantsOf(work, blocks) + <usize>align16(K); }

/** Quantizes x[K] (K a multiple of 32) into the scratch layout above, as Q8_0 does (d = max|x| / 127). */
export function quantizeActivation(x: usize, K: i32, work: usize): void {
  const blocks = K / BLOCK;
  const sums = sumsOf(work, blocks);
  const quants = quantsOf(work, blocks);
  const wide = wideOf(work, blocks, K);
  for (let block = 0; block < blocks; block++) {
    const source = x + (<usize>block << 7);
    const v0 = v128.load(source), v1 = v128.load(source, 16), v2 = v128.load(source, 32), v3 = v128.load(source, 48);
    const v4 = v128.load(source, 64), v5 = v128.load(source, 80), v6 = v128.load(source, 96), v7 = v128.load(source, 112);
    const d = blockScale(v0, v1, v2, v3, v4, v5, v6, v7);
    store<f32>(scalesOf(work) + (<usize>block << 2), d);
    const inverse = inverseScale(d);
    const w0 = codesI16(v0, v1, inverse), w1 = codesI16(v2, v3, inverse), w2 = codesI16(v4, v5, inverse), w3 = codesI16(v6, v7, inverse);
    const target16 = wide + (<usize>block << 6);
    v128.store(target16, w0);
    v128.store(target16, w1, 16);
    v128.store(target16, w2, 32);
    v128.store(target16, w3, 48);
    const q0 = i8x16.narrow_i16x8_s(w0, w1);
    const q1 = i8x16.narrow_i16x8_s(w2, w3);
    const offset = <usize>block << 5;
    v128.store(quants + offset, q0);
    v128.store(quants + offset, q1, 16);
    store<i32>(sums + (<usize>block << 2), codeSum(w0, w1, w2, w3) << 3);
  }
}


/** out[n] = a · W[n, :] for n in [n0, n1), W [N, K] in Q8_0 or Q4_0, `a` already quantized into `work`. */
export function matvecQuantized(out: usize, w: usize, dtype: i32, K: i32, n0: i32, n1: i32, work: usize): void {
  const blocks = K / BLOCK;
  if (dtype == DTYPE_Q8_0) {
    const rowBytes = <usize>(blocks * Q8_0_BLOCK_BYTES);
    for (let n = n0; n < n1; n++) store<f32>(out + (<usize>n << 2), dotQ8_0(w + <usize>n * rowBytes, blocks, K, work));
  } else {
    const rowBytes = <usize>(blocks * Q4_0_BLOCK_BYTES);
    for (let n = n0; n < n1; n++) {
      const row = w + <usize>n * rowBytes;
      store<f32>(out + (<usize>n << 2), ASC_FEATURE_RELAXED_SIMD ? dotQ4_0Fast(row, blocks, K, work) : dotQ4_0(row, blocks, K, work));
    }
  }
}

/**
 * a · W[row, :] for one Q4_0 row (relaxed build), four blocks per step: their f16 scales are
 * decoded together and multiplied by the four activation scales (contiguous), and the four
 * blocks' i16 pair sums are folded into one vector (lane b = block b) before widening, so four
 * blocks end in one convert and one multiply-add. The row is still read front to back as one
 * stream: interleaving four rows instead was as fast in cache but 2× slower on a 16 MB LM head
 * (measured), the prefetchers losing to four streams; two rows sharing the activation loads were
 * as fast in cache and 1.9× slower on the 32000×2048 LM head (measured on Zen 5, before the fence).
 *
 * The step is bound by instruction throughput, and V8 (11.3) needs two nudges to emit it tight:
 *  - The scales go into the high halves of i32 lanes (f16ToF32High): three instructions per four
 *    blocks where f16x4ToF32 takes a dozen with its inf / NaN select. Non-finite scales, which
 *    that decode turns into large finite ones, are caught by a running max and the row redone
 *    with the exact scalar decode: finite results are bit for bit those of the f16x4 decode, and
 *    a row with an inf / NaN scale still comes out the same ±inf or NaN.
 *  - TurboFan schedules every load of a step first: all 13 v128 loads were live at once, which
 *    spilled four activation vectors and the accumulator to the stack every step. A store to the
 *    fence slot halfway (V8 does not move wasm loads across a store) splits the step in two, and
 *    nothing spills.
 * Together 1.36–1.41× per thread (13 → 19 GB/s of weights) on TinyLlama's 2048×2048, 5632×2048
 * and 2048×5632 and on the 32000×2048 LM head, 1.2–1.6× at 2 threads (measured interleaved A/B,
 * Node 20, Zen 5). Alone, the fence gave 1.07–1.14× and the decode 1.10×.
 */
function dotQ4_0Fast(w: usize, blocks: i32, K: i32, work: usize): f32 {
  const sums = sumsOf(work, blocks);
  const quants = quantsOf(work, blocks);
  const row = w;
  const lowMask = i8x16.splat(0x0f);
  let accumulator = f32x4.splat(0);
  let largest = i32x4.splat(0); // max of the scales' bits << 1 (sign dropped), to spot inf / NaN
  let block = 0;
  for (; block + 4 <= blocks; block += 4) {
    const a = quants + (<usize>block << 5);
    const p0 = nibbleDot(v128.load(w, 2), v128.load(a), v128.load(a, 16), lowMask);
    const p1 = nibbleDot(v128.load(w, 2 + Q4_0_BLOCK_BYTES), v128.load(a, 32), v128.load(a, 48), lowMask);
    // Fold the four blocks' i16 lanes pairwise (|lane| ≤ 7620 → 15240 → 30480, still i16), lane b = block b.
    const t0 = i16x8.add(v128.shuffle<i32>(p0, p1, 0, 4, 1, 5), v128.shuffle<i32>(p0, p1, 2, 6, 3, 7));
    v128.store(work, t0); // the fence: keeps the loads below from being scheduled before this point
    const p2 = nibbleDot(v128.load(w, 2 + 2 * Q4_0_BLOCK_BYTES), v128.load(a, 64), v128.load(a, 80), lowMask);
    const p3 = nibbleDot(v128.load(w, 2 + 3 * Q4_0_BLOCK_BYTES), v128.load(a, 96), v128.load(a, 112), lowMask);
    const t1 = i16x8.add(v128.shuffle<i32>(p2, p3, 0, 4, 1, 5), v128.shuffle<i32>(p2, p3, 2, 6, 3, 7));
    const folded = i16x8.add(v128.shuffle<i32>(t0, t1, 0, 1, 4, 5), v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
    // Σ a·(q − 8) = Σ a·q − 8·Σa.
    const sum = i32x4.sub(i32x4.extadd_pairwise_i16x8_s(folded), v128.load(sums + (<usize>block << 2)));
    // The low halves keep lowMask's bytes, which f16ToF32High and the inf / NaN test ignore.
    let bits = v128.load16_lane(w, lowMask, 1);
    bits = v128.load16_lane(w, bits, 3, Q4_0_BLOCK_BYTES);
    bits = v128.load16_lane(w, bits, 5, 2 * Q4_0_BLOCK_BYTES);
    bits = v128.load16_lane(w, bits, 7, 3 * Q4_0_BLOCK_BYTES);
    largest = i32x4.max_u(largest, i32x4.add(bits, bits));
    const scales = f32x4.mul(f16ToF32High(bits), v128.load(scalesOf(work) + (<usize>block << 2)));
    accumulator = madd(f32x4.convert_i32x4_s(sum), scales, accumulator);
    w += 4 * Q4_0_BLOCK_BYTES;
  }
  let total = horizontalSum(accumulator);
  // The tail decodes its scales the same way: sharing the constants with the loop above is what
  // makes V8 keep them in registers instead of rebuilding them every step.
  for (; block < blocks; block++) {
    const bits = v128.load16_lane(w, lowMask, 1);
    largest = i32x4.max_u(largest, i32x4.add(bits, bits));
    const d = f32x4.extract_lane(f16ToF32High(bits), 0);
    total += <f32>blockSum(w, quants, sums, block, lowMask) * d * load<f32>(scalesOf(work) + (<usize>block << 2));
    w += Q4_0_BLOCK_BYTES;
  }
  // An f16 exponent of all ones (inf / NaN) is bits << 1 ≥ 0xf800 in the high half.
  if (i32x4.all_true(i32x4.lt_u(largest, i32x4.splat(0xf8000000)))) return total;
  // Such a row is redone a block at a time with the exact scalar decode. Each block still meets
  // its scale as one whole-block sum, so the result is the ±inf or NaN the four-block step gave
  // with f16x4ToF32 (dotQ4_0 multiplies per-lane partial sums and turns more of them into NaN).
  total = 0;
  w = row;
  for (block = 0; block < blocks; block++) {
    const d = f16ToF32(<u32>load<u16>(w));
    total += <f32>blockSum(w, quants, sums, block, lowMask) * d * load<f32>(scalesOf(work) + (<usize>block << 2));
    w += Q4_0_BLOCK_BYTES;
  }
  return total;
}

/** Σ a·(q − 8) over one Q4_0 block at `w`, block `block` of the quantized activations. */
// @ts-ignore: decorator
@inline
function blockSum(w: usize, quants: usize, sums: usize, block: i32, lowMask: v128): i32 {
  const a = quants + (<usize>block << 5);
  const pairs = nibbleDot(v128.load(w, 2), v128.load(a), v128.load(a, 16), lowMask);
  return horizontalSumI32(i32x4.extadd_pairwise_i16x8_s(pairs)) - load<i32>(sums + (<usize>block << 2));
}

/** i16 pair sums of one Q4_0 block (16 packed bytes) against the block's int8 activations. */
// @ts-ignore: decorator
@inline
function nibbleDot(packed: v128, low: v128, high: v128, lowMask: v128): v128 {
  return i16x8.add(
    i16x8.relaxed_dot_i8x16_i7x16_s(low, v128.and(packed, lowMask)),
    i16x8.relaxed_dot_i8x16_i7x16_s(high, highNibbles(packed, lowMask)),
  );
}

function dotQ8_0(w: usize, blocks: i32, K: i32, work: usize): f32 {
  const wide = wideOf(work, blocks, K);
  let accumulator = f32x4.splat(0);
  for (let block = 0; block < blocks; block++) {
    const scale = f16ToF32(<u32>load<u16>(w)) * load<f32>(scalesOf(work) + (<usize>block << 2));
    const a16 = wide + (<usize>block << 6);
    let sum = i32x4.dot_i16x8_s(v128.load8x8_s(w + 2), v128.load(a16));
    sum = i32x4.add(sum, i32x4.dot_i16x8_s(v128.load8x8_s(w + 10), v128.load(a16, 16)));
    sum = i32x4.add(sum, i32x4.dot_i16x8_s(v128.load8x8_s(w + 18), v128.load(a16, 32)));
    sum = i32x4.add(sum, i32x4.dot_i16x8_s(v128.load8x8_s(w + 26), v128.load(a16, 48)));
    accumulator = madd(f32x4.convert_i32x4_s(sum), f32x4.splat(scale), accumulator);
    w += Q8_0_BLOCK_BYTES;
  }
  return horizontalSum(accumulator);
}

function dotQ4_0(w: usize, blocks: i32, K: i32, work: usize): f32 {
  const sums = sumsOf(work, blocks);
  const quants = quantsOf(work, blocks);
  const wide = wideOf(work, blocks, K);
  const lowMask = i8x16.splat(0x0f);
  let accumulator = f32x4.splat(0);
  for (let block = 0; block < blocks; block++) {
    const scale = f16ToF32(<u32>load<u16>(w)) * load<f32>(scalesOf(work) + (<usize>block << 2));
    const packed = v128.load(w, 2);
    const low = v128.and(packed, lowMask); // elements 0..15, stored value q + 8
    const high = highNibbles(packed, lowMask); // elements 16..31
    let sum: v128;
    if (ASC_FEATURE_RELAXED_SIMD) {
      const offset = <usize>block << 5;
      // Pair sums are at most 2·127·15, so the two i16 results can be added before widening.
      const pairs = i16x8.add(
        i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(quants + offset), low),
        i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(quants + offset, 16), high),
      );
      sum = i32x4.extadd_pairwise_i16x8_s(pairs);
    } else {
      const a16 = wide + (<usize>block << 6);
      sum = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(low), v128.load(a16));
      sum = i32x4.add(sum, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(low), v128.load(a16, 16)));
      sum = i32x4.add(sum, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(high), v128.load(a16, 32)));
      sum = i32x4.add(sum, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(high), v128.load(a16, 48)));
    }
    // Σ a·(q − 8) = Σ a·q − 8·Σa, the 8·Σa spread as 2·Σa over the four lanes (exact: 8·Σa >> 2).
    sum = i32x4.sub(sum, i32x4.splat(load<i32>(sums + (<usize>block << 2)) >> 2));
    accumulator = madd(f32x4.convert_i32x4_s(sum), f32x4.splat(scale), accumulator);
    w += Q4_0_BLOCK_BYTES;
  }
  return horizontalSum(accumulator);
}

import { f16BitsToF32, f32ToF16Bits } from '@cria/kernels';
import { concatBytes } from '../chunks.js';
import { Q4_K_BLOCK_BYTES, Q6_K_BLOCK_BYTES, QK_K } from '../gguf/k-quants.js';

/**
 * Q4_K and Q6_K blocks for test models: the bit layouts of ggml's `quantize_row_q4_K_ref` /
 * `quantize_row_q6_K_ref`, filled by a plain min/max quantizer (not ggml's error-minimising search),
 * so the blocks are valid and close to the values, which is all a parity test with llama.cpp needs.
 * Cria itself never writes k-quants; it reads them and converts them at load.
 */

/** One Q4_K super-block: f16 d and dmin, 6-bit scales and mins of 8 sub-blocks, 256 nibbles. */
export function packQ4K(d: number, dmin: number, scales: readonly number[], mins: readonly number[], quants: ArrayLike<number>): Uint8Array {
  const block = new Uint8Array(Q4_K_BLOCK_BYTES);
  const view = new DataView(block.buffer);
  view.setUint16(0, f32ToF16Bits(d), true);
  view.setUint16(2, f32ToF16Bits(dmin), true);
  const packed = block.subarray(4, 16);
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      packed[j] = scales[j]!;
      packed[j + 4] = mins[j]!;
    } else {
      packed[j + 4] = (scales[j]! & 0xf) | ((mins[j]! & 0xf) << 4);
      packed[j - 4]! |= (scales[j]! >> 4) << 6;
      packed[j]! |= (mins[j]! >> 4) << 6;
    }
  }
  for (let j = 0; j < QK_K; j += 64) {
    for (let l = 0; l < 32; l++) block[16 + j / 2 + l] = quants[j + l]! | (quants[j + l + 32]! << 4);
  }
  return block;
}

/** One Q6_K super-block; `quants` are 0..63 (value − 32 is the signed quant), one int8 scale per 16. */
export function packQ6K(d: number, scales: readonly number[], quants: ArrayLike<number>): Uint8Array {
  const block = new Uint8Array(Q6_K_BLOCK_BYTES);
  for (let j = 0; j < QK_K; j += 128) {
    const ql = j / 2;
    const qh = 128 + j / 4;
    for (let l = 0; l < 32; l++) {
      const [q1, q2, q3, q4] = [quants[j + l]!, quants[j + l + 32]!, quants[j + l + 64]!, quants[j + l + 96]!];
      block[ql + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
      block[ql + l + 32] = (q2 & 0xf) | ((q4 & 0xf) << 4);
      block[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
    }
  }
  scales.forEach((scale, i) => new DataView(block.buffer).setInt8(192 + i, scale));
  new DataView(block.buffer).setUint16(208, f32ToF16Bits(d), true);
  return block;
}

const roundF16 = (value: number) => f16BitsToF32(f32ToF16Bits(value));
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** values.length a multiple of 256 (whole rows of a k-quant matrix) → Q4_K blocks. */
export function encodeQ4K(values: Float32Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let start = 0; start < values.length; start += QK_K) {
    const x = values.subarray(start, start + QK_K);
    // Per 32 values: x ≈ scale·q − min with q in 0..15.
    const steps: number[] = [];
    const offsets: number[] = [];
    for (let j = 0; j < 8; j++) {
      const sub = x.subarray(32 * j, 32 * j + 32);
      const low = Math.min(0, ...sub);
      steps.push((Math.max(...sub) - low) / 15);
      offsets.push(-low);
    }
    const d = roundF16(Math.max(...steps) / 63);
    const dmin = roundF16(Math.max(...offsets) / 63);
    const scales = steps.map((step) => (d > 0 ? clamp(Math.round(step / d), 0, 63) : 0));
    const mins = offsets.map((offset) => (dmin > 0 ? clamp(Math.round(offset / dmin), 0, 63) : 0));
    const quants = Array.from(x, (value, i) => {
      const scale = d * scales[i >> 5]!;
      return scale > 0 ? clamp(Math.round((value + dmin * mins[i >> 5]!) / scale), 0, 15) : 0;
    });
    blocks.push(packQ4K(d, dmin, scales, mins, quants));
  }
  return concatBytes(blocks);
}

/** values.length a multiple of 256 → Q6_K blocks. */
export function encodeQ6K(values: Float32Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let start = 0; start < values.length; start += QK_K) {
    const x = values.subarray(start, start + QK_K);
    // Per 16 values: x ≈ step·q with q in −32..31 (31 on both sides, so nothing clips).
    const steps = Array.from({ length: 16 }, (_, j) => Math.max(...x.subarray(16 * j, 16 * j + 16).map(Math.abs)) / 31);
    const d = roundF16(Math.max(...steps) / 127);
    const scales = steps.map((step) => (d > 0 ? clamp(Math.round(step / d), 0, 127) : 0));
    const quants = Array.from(x, (value, i) => {
      const step = d * scales[i >> 4]!;
      return (step > 0 ? clamp(Math.round(value / step), -32, 31) : 0) + 32;
    });
    blocks.push(packQ6K(d, scales, quants));
  }
  return concatBytes(blocks);
}

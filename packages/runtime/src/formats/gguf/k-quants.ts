import { f16BitsToF32 } from '@cria/kernels';

/**
 * Dequantizers for ggml's k-quants, following `dequantize_row_q4_K` / `dequantize_row_q6_K` in
 * ggml-quants.c, including their f32 rounding order (Math.fround at each step), so the values
 * match llama.cpp's bit for bit. A super-block holds QK_K = 256 values.
 */
export const QK_K = 256;
export const Q4_K_BLOCK_BYTES = 144; // d f16, dmin f16, scales[12] (6-bit scales and mins), qs[128]
export const Q6_K_BLOCK_BYTES = 210; // ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] int8, d f16

const fround = Math.fround;

function assertWholeSuperBlocks(what: string, bytes: Uint8Array, count: number, blockBytes: number): void {
  if (count % QK_K !== 0) throw new RangeError(`${what}: ${count} values is not a multiple of the super-block size ${QK_K}`);
  if (bytes.byteLength < (count / QK_K) * blockBytes) throw new RangeError(`${what}: ${count} values need ${(count / QK_K) * blockBytes} bytes, got ${bytes.byteLength}`);
}

/**
 * Sub-block j's 6-bit scale and min (`get_scale_min_k4`): for j < 4 they are the low 6 bits of
 * bytes j and j + 4; for j ≥ 4 the low/high nibble of byte j + 4 plus the top 2 bits of bytes j − 4 / j.
 */
export function q4KScaleMin(scales: Uint8Array, j: number): [scale: number, min: number] {
  if (j < 4) return [scales[j]! & 63, scales[j + 4]! & 63];
  return [(scales[j + 4]! & 0xf) | ((scales[j - 4]! >> 6) << 4), (scales[j + 4]! >> 4) | ((scales[j]! >> 6) << 4)];
}

/** Q4_K: value = d·scale_j·q − dmin·min_j over 8 sub-blocks of 32; each 32 bytes of qs hold two sub-blocks (low nibbles, then high). */
export function dequantizeQ4_K(bytes: Uint8Array, count: number): Float32Array {
  assertWholeSuperBlocks('dequantizeQ4_K', bytes, count, Q4_K_BLOCK_BYTES);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let y = 0;
  for (let block = 0; block < count / QK_K; block++) {
    const base = block * Q4_K_BLOCK_BYTES;
    const d = f16BitsToF32(view.getUint16(base, true));
    const dmin = f16BitsToF32(view.getUint16(base + 2, true));
    const scales = bytes.subarray(base + 4, base + 16);
    let qs = base + 16;
    for (let pair = 0; pair < 4; pair++) {
      const [scaleLow, minLow] = q4KScaleMin(scales, 2 * pair);
      const [scaleHigh, minHigh] = q4KScaleMin(scales, 2 * pair + 1);
      const d1 = fround(d * scaleLow);
      const m1 = fround(dmin * minLow);
      const d2 = fround(d * scaleHigh);
      const m2 = fround(dmin * minHigh);
      for (let l = 0; l < 32; l++) out[y++] = fround(d1 * (bytes[qs + l]! & 0xf)) - m1;
      for (let l = 0; l < 32; l++) out[y++] = fround(d2 * (bytes[qs + l]! >> 4)) - m2;
      qs += 32;
    }
  }
  return out;
}

/** Q6_K: value = d·scale·(q − 32), q 6 bits split over ql (low 4) and qh (high 2), 16 sub-blocks of 16 with int8 scales. */
export function dequantizeQ6_K(bytes: Uint8Array, count: number): Float32Array {
  assertWholeSuperBlocks('dequantizeQ6_K', bytes, count, Q6_K_BLOCK_BYTES);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let block = 0; block < count / QK_K; block++) {
    const base = block * Q6_K_BLOCK_BYTES;
    const d = f16BitsToF32(view.getUint16(base + 208, true));
    for (let half = 0; half < 2; half++) {
      const ql = base + half * 64;
      const qh = base + 128 + half * 32;
      const sc = base + 192 + half * 8;
      const y = block * QK_K + half * 128;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const high = bytes[qh + l]!;
        const q1 = ((bytes[ql + l]! & 0xf) | (((high >> 0) & 3) << 4)) - 32;
        const q2 = ((bytes[ql + l + 32]! & 0xf) | (((high >> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l]! >> 4) | (((high >> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + l + 32]! >> 4) | (((high >> 6) & 3) << 4)) - 32;
        out[y + l] = fround(d * view.getInt8(sc + is)) * q1;
        out[y + l + 32] = fround(d * view.getInt8(sc + is + 2)) * q2;
        out[y + l + 64] = fround(d * view.getInt8(sc + is + 4)) * q3;
        out[y + l + 96] = fround(d * view.getInt8(sc + is + 6)) * q4;
      }
    }
  }
  return out;
}

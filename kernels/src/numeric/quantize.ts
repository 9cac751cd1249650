import { QUANT_BLOCK_SIZE } from '../dtype.js';
import { f16BitsToF32, f32ToF16Bits } from './half.js';

/**
 * Q8_0 and Q4_0 in GGUF's byte layout, following ggml's reference quantizers
 * (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`) so files written here load in llama.cpp.
 */

const Q8_0_BLOCK_BYTES = 34;
const Q4_0_BLOCK_BYTES = 18;

function assertWholeBlocks(count: number, what: string): void {
  if (count % QUANT_BLOCK_SIZE !== 0) {
    throw new RangeError(`${what}: ${count} values is not a multiple of the block size ${QUANT_BLOCK_SIZE}`);
  }
}

export function quantizeQ8_0(values: ArrayLike<number>): Uint8Array {
  assertWholeBlocks(values.length, 'quantizeQ8_0');
  const blocks = values.length / QUANT_BLOCK_SIZE;
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let block = 0; block < blocks; block++) {
    const base = block * QUANT_BLOCK_SIZE;
    let amax = 0;
    for (let j = 0; j < QUANT_BLOCK_SIZE; j++) amax = Math.max(amax, Math.abs(values[base + j]!));
    const d = amax / 127;
    const inverse = d ? 1 / d : 0;
    const offset = block * Q8_0_BLOCK_BYTES;
    view.setUint16(offset, f32ToF16Bits(d), true);
    for (let j = 0; j < QUANT_BLOCK_SIZE; j++) {
      view.setInt8(offset + 2 + j, Math.round(values[base + j]! * inverse));
    }
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array, count: number): Float32Array {
  assertWholeBlocks(count, 'dequantizeQ8_0');
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let block = 0; block < count / QUANT_BLOCK_SIZE; block++) {
    const offset = block * Q8_0_BLOCK_BYTES;
    const d = f16BitsToF32(view.getUint16(offset, true));
    for (let j = 0; j < QUANT_BLOCK_SIZE; j++) out[block * QUANT_BLOCK_SIZE + j] = d * view.getInt8(offset + 2 + j);
  }
  return out;
}

export function quantizeQ4_0(values: ArrayLike<number>): Uint8Array {
  assertWholeBlocks(values.length, 'quantizeQ4_0');
  const blocks = values.length / QUANT_BLOCK_SIZE;
  const out = new Uint8Array(blocks * Q4_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  const half = QUANT_BLOCK_SIZE / 2;
  for (let block = 0; block < blocks; block++) {
    const base = block * QUANT_BLOCK_SIZE;
    // ggml keeps the sign of the value with the largest magnitude so that it maps exactly to −8.
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QUANT_BLOCK_SIZE; j++) {
      const value = values[base + j]!;
      if (Math.abs(value) > amax) {
        amax = Math.abs(value);
        max = value;
      }
    }
    const d = max / -8;
    const inverse = d ? 1 / d : 0;
    const offset = block * Q4_0_BLOCK_BYTES;
    view.setUint16(offset, f32ToF16Bits(d), true);
    for (let j = 0; j < half; j++) {
      const low = Math.min(15, Math.trunc(values[base + j]! * inverse + 8.5));
      const high = Math.min(15, Math.trunc(values[base + half + j]! * inverse + 8.5));
      out[offset + 2 + j] = low | (high << 4);
    }
  }
  return out;
}

export function dequantizeQ4_0(bytes: Uint8Array, count: number): Float32Array {
  assertWholeBlocks(count, 'dequantizeQ4_0');
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const half = QUANT_BLOCK_SIZE / 2;
  for (let block = 0; block < count / QUANT_BLOCK_SIZE; block++) {
    const offset = block * Q4_0_BLOCK_BYTES;
    const d = f16BitsToF32(view.getUint16(offset, true));
    for (let j = 0; j < half; j++) {
      const byte = bytes[offset + 2 + j]!;
      out[block * QUANT_BLOCK_SIZE + j] = d * ((byte & 0x0f) - 8);
      out[block * QUANT_BLOCK_SIZE + half + j] = d * ((byte >> 4) - 8);
    }
  }
  return out;
}

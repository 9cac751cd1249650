import { QUANT_BLOCK_SIZE, dtypeLayout, isQuantized, type DType } from '../dtype.js';
import { ResourceLimitError } from '../errors.js';
import { f16BitsToF32, f32ToF16Bits } from '../numeric/half.js';

/**
 * How a tensor lies in GPU memory. Row-major, split by rows of its last dimension into parts of at
 * most `maxPartBytes` each (one buffer and one binding per part, since bindings are capped at
 * maxStorageBufferBindingSize and we keep them ≤ 128 MiB). Plain dtypes keep their host bytes,
 * padded to 4. Quantized blocks are re-laid out so kernels can read u32 words:
 *   q8_0: [f32 scale × blocks][8 words of int8 quants × blocks]
 *   q4_0: [f32 scale × blocks][4 words of nibbles × blocks]
 * `quantBase` is the word where a part's quants start (= its block count).
 */
export interface GpuPart {
  buffer: GPUBuffer;
  /** Bytes in use (a multiple of 4); the buffer may be larger (pool bucket). */
  byteLength: number;
  rowBegin: number;
  rowCount: number;
  quantBase: number;
}

export interface GpuStorage {
  parts: GpuPart[];
  /** Elements per row (the last dimension). */
  rowLength: number;
}

export interface PartPlan {
  rowBegin: number;
  rowCount: number;
  byteLength: number;
}

const QUANT_WORDS_PER_BLOCK: Record<'q8_0' | 'q4_0', number> = { q8_0: 8, q4_0: 4 };

const alignTo4 = (bytes: number) => Math.ceil(bytes / 4) * 4;

/** GPU bytes of `rows` rows. */
export function gpuRowsBytes(dtype: DType, rowLength: number, rows: number): number {
  if (isQuantized(dtype)) {
    const blocks = (rows * rowLength) / QUANT_BLOCK_SIZE;
    return blocks * 4 * (1 + QUANT_WORDS_PER_BLOCK[dtype]);
  }
  return alignTo4(rows * rowLength * dtypeLayout(dtype).blockBytes);
}

export function planParts(dtype: DType, shape: readonly number[], maxPartBytes: number): PartPlan[] {
  const rowLength = shape.length ? shape[shape.length - 1]! : 1;
  const rows = rowLength === 0 ? 0 : shape.reduce((a, b) => a * b, 1) / rowLength;
  const total = gpuRowsBytes(dtype, rowLength, rows);
  if (total <= maxPartBytes) return [{ rowBegin: 0, rowCount: rows, byteLength: total }];
  // An even row count keeps every part of an odd-length f16/bf16 tensor starting on a u32 boundary.
  let rowsPerPart = Math.floor(maxPartBytes / gpuRowsBytes(dtype, rowLength, 1));
  rowsPerPart -= rowsPerPart % 2;
  if (rowsPerPart < 1) {
    throw new ResourceLimitError(
      `a ${dtype}[${shape.join(', ')}] tensor has rows of ${gpuRowsBytes(dtype, rowLength, 1)} bytes, more than one storage binding may hold (${maxPartBytes} bytes)`,
      'reshape it so that its last dimension is smaller, or use backend "wasm"',
    );
  }
  const plans: PartPlan[] = [];
  for (let rowBegin = 0; rowBegin < rows; rowBegin += rowsPerPart) {
    const rowCount = Math.min(rowsPerPart, rows - rowBegin);
    plans.push({ rowBegin, rowCount, byteLength: gpuRowsBytes(dtype, rowLength, rowCount) });
  }
  return plans;
}

/** The upload bytes of one part, from the host layout of the whole tensor. */
export function packPart(dtype: DType, rowLength: number, host: Uint8Array, plan: PartPlan): Uint8Array {
  const elementsBegin = plan.rowBegin * rowLength;
  const elements = plan.rowCount * rowLength;
  if (isQuantized(dtype)) {
    const { blockBytes } = dtypeLayout(dtype);
    const blocks = elements / QUANT_BLOCK_SIZE;
    const firstBlock = elementsBegin / QUANT_BLOCK_SIZE;
    const words = new Uint32Array(plan.byteLength / 4);
    const scales = new Float32Array(words.buffer, 0, blocks);
    const quants = new Uint8Array(words.buffer, blocks * 4);
    const quantBytes = blockBytes - 2;
    for (let block = 0; block < blocks; block++) {
      const offset = (firstBlock + block) * blockBytes;
      scales[block] = f16BitsToF32(host[offset]! | (host[offset + 1]! << 8));
      quants.set(host.subarray(offset + 2, offset + blockBytes), block * quantBytes);
    }
    return new Uint8Array(words.buffer);
  }
  const elementBytes = dtypeLayout(dtype).blockBytes;
  const bytes = host.subarray(elementsBegin * elementBytes, (elementsBegin + elements) * elementBytes);
  if (bytes.byteLength === plan.byteLength && bytes.byteOffset % 4 === 0) return bytes;
  const padded = new Uint8Array(plan.byteLength);
  padded.set(bytes);
  return padded;
}

/** Writes one part's GPU bytes back into the host layout of the whole tensor. */
export function unpackPart(dtype: DType, rowLength: number, gpu: Uint8Array, plan: PartPlan, host: Uint8Array): void {
  const elementsBegin = plan.rowBegin * rowLength;
  const elements = plan.rowCount * rowLength;
  if (isQuantized(dtype)) {
    const { blockBytes } = dtypeLayout(dtype);
    const blocks = elements / QUANT_BLOCK_SIZE;
    const firstBlock = elementsBegin / QUANT_BLOCK_SIZE;
    const scales = new Float32Array(gpu.buffer, gpu.byteOffset, blocks);
    const quantBytes = blockBytes - 2;
    for (let block = 0; block < blocks; block++) {
      const offset = (firstBlock + block) * blockBytes;
      // The scale came from an f16, so converting back is exact.
      const bits = f32ToF16Bits(scales[block]!);
      host[offset] = bits & 0xff;
      host[offset + 1] = bits >> 8;
      const quantsAt = gpu.byteOffset + blocks * 4 + block * quantBytes;
      host.set(new Uint8Array(gpu.buffer, quantsAt, quantBytes), offset + 2);
    }
    return;
  }
  const elementBytes = dtypeLayout(dtype).blockBytes;
  host.set(gpu.subarray(0, elements * elementBytes), elementsBegin * elementBytes);
}

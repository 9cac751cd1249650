/**
 * Element types a Cria tensor can hold, and the byte layout of each.
 *
 * Quantized types use GGUF's block layouts so weights can be uploaded straight from a file:
 *   q8_0: blocks of 32 values = f16 scale `d` + 32 × int8            (34 bytes, value = d · q)
 *   q4_0: blocks of 32 values = f16 scale `d` + 16 bytes of nibbles  (18 bytes, value = d · (q − 8));
 *         byte j holds element j in its low nibble and element j + 16 in its high nibble.
 */
export type DType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'i32';

export const DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'i32'];

export const QUANT_BLOCK_SIZE = 32;

interface DTypeLayout {
  /** Values per block (1 for plain types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(LAYOUTS, value);
}

const LAYOUTS: Record<DType, DTypeLayout> = {
  f32: { blockSize: 1, blockBytes: 4 },
  i32: { blockSize: 1, blockBytes: 4 },
  f16: { blockSize: 1, blockBytes: 2 },
  bf16: { blockSize: 1, blockBytes: 2 },
  q8_0: { blockSize: QUANT_BLOCK_SIZE, blockBytes: 34 },
  q4_0: { blockSize: QUANT_BLOCK_SIZE, blockBytes: 18 },
};

export function dtypeLayout(dtype: DType): DTypeLayout {
  return LAYOUTS[dtype];
}

export function isQuantized(dtype: DType): dtype is 'q8_0' | 'q4_0' {
  return dtype === 'q8_0' || dtype === 'q4_0';
}

/** Types usable as the weight operand of `matmul` / table of `embedding`. */
export function isWeightType(dtype: DType): boolean {
  return dtype !== 'i32';
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/** Bytes needed to store `shape` in `dtype`. Quantized rows (last dim) must be whole blocks. */
export function byteLength(dtype: DType, shape: readonly number[]): number {
  const { blockSize, blockBytes } = LAYOUTS[dtype];
  return (elementCount(shape) / blockSize) * blockBytes;
}

/** The typed array `Backend.read` returns and `Backend.write` accepts for each dtype. */
export type HostArray<D extends DType = DType> = D extends 'f32'
  ? Float32Array
  : D extends 'i32'
    ? Int32Array
    : D extends 'f16' | 'bf16'
      ? Uint16Array
      : Uint8Array;

export function hostArrayFor(dtype: DType, buffer: ArrayBuffer, byteOffset: number, count: number): HostArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(buffer, byteOffset, count);
    case 'i32':
      return new Int32Array(buffer, byteOffset, count);
    case 'f16':
    case 'bf16':
      return new Uint16Array(buffer, byteOffset, count);
    default:
      return new Uint8Array(buffer, byteOffset, byteLength(dtype, [count]));
  }
}

import type { DType, HostArray } from '@cria/kernels';
import { readInto, type ByteSource } from './sources/byte-source.js';

/** A tensor in host memory, in the layout `Backend.write` accepts for its dtype. */
export interface HostTensor {
  readonly dtype: DType;
  /** Row-major, outermost first (the PyTorch order). */
  readonly shape: readonly number[];
  readonly data: HostArray;
}

/** What a weights reader knows of a tensor before reading it. */
export interface WeightInfo {
  readonly name: string;
  /** Row-major, outermost first. GGUF stores dims innermost first; its readers reverse them. */
  readonly shape: readonly number[];
  /** The file's own name for the element type (`F16`, `Q4_K`, ...). */
  readonly dtype: string;
  readonly byteLength: number;
}

/** The interface both formats (and sharded checkpoints) give the model loader. */
export interface WeightReader {
  readonly tensors: ReadonlyMap<string, WeightInfo>;
  /** The raw bytes of one tensor as stored in the file. */
  readBytes(name: string): Promise<Uint8Array>;
  /** One tensor converted to a kernel dtype (see each reader for the mapping). */
  read(name: string): Promise<HostTensor>;
  /**
   * Rows [firstRow, firstRow + rowCount) of a tensor, converted as `read` converts the whole; a row
   * is the innermost dimension, so the result's shape is [rowCount, last dim]. This is how the
   * loader streams a large weight into a backend tensor in bounded pieces. When the file stores a
   * kernel dtype and `scratch` holds the rows, they are read into `scratch` (no allocation) and the
   * result is a view of it, valid until `scratch` is reused.
   */
  readRows(name: string, firstRow: number, rowCount: number, scratch?: Uint8Array): Promise<HostTensor>;
  close(): Promise<void>;
}

/** Views `bytes` as the host array of `dtype`, copying only when the view would be misaligned. */
export function hostArrayFromBytes(dtype: DType, bytes: Uint8Array, elementCount: number): HostArray {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  switch (dtype) {
    case 'f32':
      return new Float32Array(buffer, byteOffset, elementCount);
    case 'i32':
      return new Int32Array(buffer, byteOffset, elementCount);
    case 'f16':
    case 'bf16':
      return new Uint16Array(buffer, byteOffset, elementCount);
    default:
      return aligned; // q8_0 / q4_0: the GGUF blocks as bytes
  }
}

/** Where a tensor's stored bytes are, for `readStoredRows`. */
export interface StoredRows {
  /** Absolute offset of the tensor's first byte in the source. */
  readonly byteOffset: number;
  /** Rows in the tensor (every dim but the innermost, multiplied). */
  readonly rows: number;
  /** Bytes of one stored row. */
  readonly rowBytes: number;
}

/**
 * The stored bytes of rows [firstRow, firstRow + rowCount): read into the front of `scratch` when it
 * is large enough, else into a fresh array. Throws a RangeError for rows outside the tensor.
 */
export async function readStoredRows(source: ByteSource, tensor: string, stored: StoredRows, firstRow: number, rowCount: number, scratch?: Uint8Array): Promise<Uint8Array> {
  if (!Number.isInteger(firstRow) || !Number.isInteger(rowCount) || firstRow < 0 || rowCount < 0 || firstRow + rowCount > stored.rows) {
    throw new RangeError(`'${tensor}' has ${stored.rows} rows; rows ${firstRow}..${firstRow + rowCount - 1} were asked for`);
  }
  const offset = stored.byteOffset + firstRow * stored.rowBytes;
  const length = rowCount * stored.rowBytes;
  if (!scratch || scratch.byteLength < length) return source.read(offset, length);
  const target = scratch.subarray(0, length);
  await readInto(source, offset, target);
  return target;
}

import type { DType, HostArray } from '@cria/kernels';

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

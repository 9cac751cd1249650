import { byteLength, hostArrayFor, type DType, type HostArray } from '../dtype.js';
import { ResourceLimitError, ShapeMismatchError } from '../errors.js';
import { dequantizeQ4_0, dequantizeQ8_0 } from '../numeric/quantize.js';
import { fromBf16, fromF16 } from '../numeric/half.js';
import type { Tensor } from '../tensor.js';

/** Host storage of the reference backend: one typed array per tensor, in the upload layout. */
export function allocateHost(dtype: DType, size: number): HostArray {
  const bytes = byteLength(dtype, [size]);
  let buffer: ArrayBuffer;
  try {
    buffer = new ArrayBuffer(bytes);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ResourceLimitError(`reference backend: cannot allocate ${bytes} bytes for ${dtype}[${size}] (${error.message})`, 'use smaller tensors, or the wasm / webgpu backend for real models');
  }
  return hostArrayFor(dtype, buffer, 0, size);
}

export function copyInto(tensor: Tensor, target: HostArray, data: ArrayBufferView): void {
  if (data.byteLength !== target.byteLength) {
    throw new ShapeMismatchError('write', 'data', `${target.byteLength} bytes for ${tensor}`, `${data.byteLength} bytes`);
  }
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
}

/** Any weight dtype as f32 values (dequantized), the form the reference kernels compute on. */
export function asFloat32(dtype: DType, storage: HostArray, size: number): Float32Array {
  switch (dtype) {
    case 'f32':
      return storage as Float32Array;
    case 'f16':
      return fromF16(storage as Uint16Array);
    case 'bf16':
      return fromBf16(storage as Uint16Array);
    case 'q8_0':
      return dequantizeQ8_0(storage as Uint8Array, size);
    case 'q4_0':
      return dequantizeQ4_0(storage as Uint8Array, size);
    case 'i32':
      return Float32Array.from(storage as Int32Array);
  }
}

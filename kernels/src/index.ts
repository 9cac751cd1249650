export type { Backend, BackendInfo, BackendName } from './backend.js';
export type * from './ops.js';
export { OP_NAMES } from './ops.js';
export { Tensor } from './tensor.js';
export { QUANT_BLOCK_SIZE, byteLength, dtypeLayout, elementCount, isQuantized, type DType, type HostArray } from './dtype.js';
export * from './errors.js';
export { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, fromBf16, fromF16, toBf16, toF16 } from './numeric/half.js';
export { dequantizeQ4_0, dequantizeQ8_0, quantizeQ4_0, quantizeQ8_0 } from './numeric/quantize.js';
export { ReferenceBackend, createReferenceBackend } from './reference/reference-backend.js';

import { toBf16, toF16 } from '@cria/kernels';
import { safeProduct } from '../checked-math.js';
import { formatError } from '../errors.js';
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from './safetensors-header.js';

export interface SafetensorsWriteTensor {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  /** Row-major, outermost first. */
  readonly shape: readonly number[];
  /**
   * Float32Array: values, converted to `dtype` (round to nearest even).
   * Uint16Array: raw F16/BF16 bits. Uint8Array: the stored bytes, as is.
   */
  readonly data: Float32Array | Uint16Array | Uint8Array;
}

/**
 * Encodes a safetensors file as a list of chunks (the header, then each tensor's bytes) so a caller
 * can stream it to disk or a Blob without concatenating. Tensors are laid out in the given order;
 * the header is padded with spaces to a multiple of 8 bytes, as the reference writer does, so every
 * tensor starts 8-byte aligned when the data section is.
 */
export function encodeSafetensors(tensors: readonly SafetensorsWriteTensor[], metadata: Readonly<Record<string, string>> = {}): Uint8Array[] {
  const file = 'safetensors writer';
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw formatError('invalid-input', file, `__metadata__['${key}'] is not a string`, 'convert metadata values to strings (e.g. JSON.stringify)', { subject: key });
    }
    header['__metadata__'] = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    if (tensor.name === '__metadata__' || Object.hasOwn(header, tensor.name)) {
      throw formatError('invalid-input', file, `tensor name '${tensor.name}' is ${tensor.name === '__metadata__' ? 'reserved' : 'used twice'}`, 'give every tensor a unique name', { subject: tensor.name });
    }
    const bytes = encodeData(file, tensor);
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((new TextEncoder().encode(json).byteLength) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8 + jsonBytes.byteLength);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  prefix.set(jsonBytes, 8);
  return [prefix, ...chunks];
}

function encodeData(file: string, tensor: SafetensorsWriteTensor): Uint8Array {
  const { name, dtype, shape, data } = tensor;
  const itemBytes = SAFETENSORS_DTYPE_BYTES[dtype];
  if (itemBytes === undefined || !['F32', 'F16', 'BF16'].includes(dtype)) {
    throw formatError('invalid-input', file, `tensor '${name}' has dtype ${dtype}`, 'write F32, F16 or BF16', { subject: name });
  }
  const elements = shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0) ? safeProduct(shape) : undefined;
  if (elements === undefined) throw formatError('invalid-input', file, `tensor '${name}' has an invalid shape [${shape}]`, 'use non-negative integer dims', { subject: name });
  let bytes: Uint8Array;
  if (data instanceof Float32Array) {
    if (data.length !== elements) throw lengthError(file, name, `${elements} values`, `${data.length}`);
    const encoded = dtype === 'F32' ? data : dtype === 'F16' ? toF16(data) : toBf16(data);
    bytes = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  } else if (data instanceof Uint16Array) {
    if (dtype === 'F32') throw formatError('invalid-input', file, `tensor '${name}' is F32 but its data is a Uint16Array`, 'pass a Float32Array for F32 tensors', { subject: name });
    if (data.length !== elements) throw lengthError(file, name, `${elements} values`, `${data.length}`);
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    bytes = data;
  }
  if (bytes.byteLength !== elements * itemBytes) throw lengthError(file, name, `${elements * itemBytes} bytes`, `${bytes.byteLength} bytes`);
  return bytes;
}

function lengthError(file: string, name: string, expected: string, got: string) {
  return formatError('invalid-input', file, `tensor '${name}' has the wrong amount of data for its shape`, 'pass exactly one value per element', { subject: name, expected, got });
}

import { quantizeQ4_0, quantizeQ8_0, toBf16, toF16 } from '@cria/kernels';
import { safeProduct } from '../checked-math.js';
import { formatError } from '../errors.js';
import { ByteWriter } from './byte-writer.js';
import { ggmlTypeByName, WRITABLE_GGML_TYPES, type WritableGgmlType } from './ggml-types.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf-header.js';
import { GGUF_VALUE_TYPES, type GgufArray, type GgufValue, type GgufValueType } from './gguf-value.js';

export interface GgufWriteTensor {
  readonly name: string;
  readonly type: WritableGgmlType;
  /** Row-major, outermost first (written to the file innermost first, as ggml wants). */
  readonly shape: readonly number[];
  /**
   * Float32Array: values, converted to `type` (F16/BF16 round to nearest even; Q8_0/Q4_0 with
   * ggml's reference quantizers). Uint16Array: raw F16/BF16 bits. Uint8Array: the stored bytes
   * (the only form for Q4_K/Q6_K).
   */
  readonly data: Float32Array | Uint16Array | Uint8Array;
}

export interface GgufWriteOptions {
  /** Tensor data alignment, a power of two; other than 32 it is recorded as `general.alignment`. */
  readonly alignment?: number;
}

const WRITER = 'GGUF writer';

/**
 * Encodes a GGUF v3 file as chunks: the header (metadata, tensor infos, padding), then each
 * tensor's bytes followed by zero padding to the alignment, the layout llama.cpp writes.
 */
export function encodeGguf(
  metadata: ReadonlyMap<string, GgufValue> | Readonly<Record<string, GgufValue>>,
  tensors: readonly GgufWriteTensor[],
  options: GgufWriteOptions = {},
): Uint8Array[] {
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw formatError('invalid-input', WRITER, `alignment ${alignment} is not a power of two`, 'use 32 (the default) or another power of two');
  }
  const entries = new Map(metadata instanceof Map ? metadata : Object.entries(metadata));
  const declared = entries.get('general.alignment');
  if (declared && !(declared.type === 'u32' && declared.value === alignment)) {
    throw formatError('invalid-input', WRITER, 'general.alignment in the metadata disagrees with the alignment option', 'set only options.alignment', { subject: 'general.alignment' });
  }
  if (alignment !== GGUF_DEFAULT_ALIGNMENT) entries.set('general.alignment', { type: 'u32', value: alignment });

  const data = tensors.map(encodeTensorData);
  const header = new ByteWriter();
  header.u32(GGUF_MAGIC);
  header.u32(3);
  header.u64(tensors.length);
  header.u64(entries.size);
  for (const [key, value] of entries) {
    header.string(key);
    header.u32(GGUF_VALUE_TYPES.indexOf(value.type));
    writeValue(header, value, key);
  }
  const names = new Set<string>();
  let offset = 0;
  tensors.forEach((tensor, i) => {
    if (names.has(tensor.name)) throw formatError('invalid-input', WRITER, `tensor name '${tensor.name}' is used twice`, 'give every tensor a unique name', { subject: tensor.name });
    names.add(tensor.name);
    header.string(tensor.name);
    header.u32(tensor.shape.length);
    for (const dim of [...tensor.shape].reverse()) header.u64(dim);
    header.u32(ggmlTypeByName(tensor.type)!.id);
    header.u64(offset);
    offset += padded(data[i]!.byteLength, alignment);
  });
  header.pad(alignment);
  const chunks = [header.finish()];
  for (const bytes of data) {
    chunks.push(bytes);
    const padding = padded(bytes.byteLength, alignment) - bytes.byteLength;
    if (padding > 0) chunks.push(new Uint8Array(padding));
  }
  return chunks;
}

function padded(length: number, alignment: number): number {
  return Math.ceil(length / alignment) * alignment;
}

function encodeTensorData(tensor: GgufWriteTensor): Uint8Array {
  const { name, type, shape, data } = tensor;
  const info = ggmlTypeByName(type);
  const invalid = (message: string, hint: string, expected?: string, got?: string) => formatError('invalid-input', WRITER, `tensor '${name}': ${message}`, hint, { subject: name, expected, got });
  if (!info || !(WRITABLE_GGML_TYPES as readonly string[]).includes(type)) throw invalid(`type ${type} cannot be written`, `use one of ${WRITABLE_GGML_TYPES.join(', ')}`);
  if (name === '') throw invalid('the name is empty', 'name every tensor');
  if (shape.length < 1 || shape.length > 4 || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw invalid(`shape [${shape}] is not 1 to 4 non-negative integer dims`, 'reshape the tensor to at most 4 dims');
  }
  const elements = safeProduct(shape)!;
  const rowLength = shape[shape.length - 1]!;
  if (rowLength % info.blockSize !== 0) throw invalid(`rows of ${rowLength} values are not whole ${type} blocks of ${info.blockSize}`, 'use F16/F32 for this tensor, or pad its rows');
  let bytes: Uint8Array;
  if (data instanceof Float32Array) {
    if (type === 'Q4_K' || type === 'Q6_K') throw invalid(`${type} is written only from its encoded blocks`, 'pass the blocks as a Uint8Array (llama-quantize makes them), or write Q8_0/Q4_0 from values');
    if (data.length !== elements) throw invalid('the data length does not match the shape', 'pass one value per element', `${elements} values`, `${data.length}`);
    const encoded = type === 'F32' ? data : type === 'F16' ? toF16(data) : type === 'BF16' ? toBf16(data) : type === 'Q8_0' ? quantizeQ8_0(data) : quantizeQ4_0(data);
    bytes = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  } else if (data instanceof Uint16Array) {
    if (type !== 'F16' && type !== 'BF16') throw invalid(`a Uint16Array holds F16/BF16 bits, not ${type}`, 'pass a Float32Array of values, or the encoded bytes as a Uint8Array');
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    bytes = data;
  }
  const expected = (elements / info.blockSize) * info.blockBytes;
  if (bytes.byteLength !== expected) throw invalid('the data size does not match the shape and type', 'pass exactly the encoded bytes of the tensor', `${expected} bytes`, `${bytes.byteLength} bytes`);
  return bytes;
}

const INTEGER_RANGES: Partial<Record<GgufValueType, [number, number]>> = {
  u8: [0, 0xff], i8: [-0x80, 0x7f], u16: [0, 0xffff], i16: [-0x8000, 0x7fff], u32: [0, 0xffffffff], i32: [-0x80000000, 0x7fffffff],
};

function checkScalar(type: GgufValueType, value: unknown, key: string): void {
  const range = INTEGER_RANGES[type];
  const ok = range
    ? typeof value === 'number' && Number.isInteger(value) && value >= range[0] && value <= range[1]
    : type === 'f32' || type === 'f64'
      ? typeof value === 'number'
      : type === 'u64'
        ? typeof value === 'bigint' && value >= 0n && value < 1n << 64n
        : type === 'i64'
          ? typeof value === 'bigint' && value >= -(1n << 63n) && value < 1n << 63n
          : type === 'bool'
            ? typeof value === 'boolean'
            : type === 'string'
              ? typeof value === 'string'
              : false;
  if (!ok) throw formatError('invalid-input', WRITER, `metadata '${key}' is not a valid ${type}`, `pass a ${type} value (64-bit integers as bigint)`, { subject: key, got: String(value) });
}

function writeScalar(writer: ByteWriter, type: GgufValueType, value: number | bigint | boolean | string, key: string): void {
  checkScalar(type, value, key);
  switch (type) {
    case 'u8': return writer.u8(value as number);
    case 'i8': return writer.i8(value as number);
    case 'u16': return writer.u16(value as number);
    case 'i16': return writer.i16(value as number);
    case 'u32': return writer.u32(value as number);
    case 'i32': return writer.i32(value as number);
    case 'f32': return writer.f32(value as number);
    case 'f64': return writer.f64(value as number);
    case 'u64': return writer.u64(value as bigint);
    case 'i64': return writer.i64(value as bigint);
    case 'bool': return writer.u8(value ? 1 : 0);
    case 'string': return writer.string(value as string);
  }
}

function writeValue(writer: ByteWriter, value: GgufValue, key: string): void {
  if (!GGUF_VALUE_TYPES.includes(value.type)) throw formatError('invalid-input', WRITER, `metadata '${key}' has unknown type ${String(value.type)}`, `use one of ${GGUF_VALUE_TYPES.join(', ')}`, { subject: key });
  if (value.type === 'array') writeArray(writer, value.value, key);
  else writeScalar(writer, value.type, value.value, key);
}

function writeArray(writer: ByteWriter, array: GgufArray, key: string): void {
  if (!GGUF_VALUE_TYPES.includes(array.itemType)) throw formatError('invalid-input', WRITER, `array '${key}' has unknown item type ${String(array.itemType)}`, `use one of ${GGUF_VALUE_TYPES.join(', ')}`, { subject: key });
  writer.u32(GGUF_VALUE_TYPES.indexOf(array.itemType));
  writer.u64(array.items.length);
  for (const item of array.items as Iterable<unknown>) {
    if (array.itemType === 'array') writeArray(writer, item as GgufArray, key);
    else writeScalar(writer, array.itemType, item as number, key);
  }
}

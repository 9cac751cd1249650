import { alignUp, safeProduct } from '../checked-math.js';
import { TruncatedFileError, UnsupportedDTypeError, UnsupportedVersionError, formatError } from '../errors.js';
import { ggmlTypeById, ggmlTypeLabel, LOADABLE_GGML_TYPES } from './ggml-types.js';
import { HeaderCursor } from './header-cursor.js';
import { GGUF_FIXED_SIZES, GGUF_VALUE_TYPES, type GgufArray, type GgufArrayItems, type GgufValue, type GgufValueType } from './gguf-value.js';

/**
 * The GGUF header (ggml's gguf.md): magic "GGUF", version u32 (2 or 3; v1 had u32 counts),
 * tensor_count u64, metadata_kv_count u64, the metadata (key string, value type u32, value), the
 * tensor infos (name, n_dims u32, dims u64[n_dims] innermost first, ggml type u32, offset u64
 * relative to the data section), padding to `general.alignment` (default 32), then the data.
 */
export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** Sane caps: far above real models (~1k tensors, ~50 keys), far below what a hostile count could allocate. */
export const MAX_GGUF_TENSORS = 1 << 20;
export const MAX_GGUF_KEYS = 1 << 20;
const MAX_ARRAY_NESTING = 8;
const GGML_MAX_DIMS = 4;
/** Smallest possible encodings, used to reject counts the rest of the file cannot hold before allocating. */
const MIN_KEY_VALUE_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml type name (`Q4_K`); `dtype` repeats it for the WeightInfo interface. */
  readonly type: string;
  readonly dtype: string;
  readonly typeId: number;
  /** ggml order: dims[0] is the innermost (contiguous) dimension. */
  readonly dims: readonly number[];
  /** Row-major, outermost first: dims reversed. */
  readonly shape: readonly number[];
  /** Offset within the data section, as stored. */
  readonly offset: number;
  /** Absolute offset in the file. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  readonly alignment: number;
  /** Absolute offset of the data section. */
  readonly dataOffset: number;
}

/**
 * Parses the header from the first `bytes` of a file of `fileSize` bytes (throws NeedMoreBytes if
 * they are too few). `scan`: check everything and find where the header ends, but leave arrays of
 * strings empty instead of decoding them — a cheap pass to repeat while the bytes read grow.
 */
export function parseGgufHeader(file: string, fileSize: number, bytes: Uint8Array, scan = false): GgufHeader {
  const cursor = new HeaderCursor(bytes, fileSize, file);
  cursor.scan = scan;
  const version = readPreamble(cursor);
  const tensorCount = readCount(cursor, 'tensor_count', MAX_GGUF_TENSORS, MIN_TENSOR_INFO_BYTES);
  const keyCount = readCount(cursor, 'metadata_kv_count', MAX_GGUF_KEYS, MIN_KEY_VALUE_BYTES);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < keyCount; i++) {
    const key = cursor.string(`metadata key #${i}`);
    if (metadata.has(key)) throw formatError('duplicate-key', file, `metadata key '${key}' appears twice`, 'the file is corrupt or was written by a buggy converter; re-convert it', { subject: key });
    const typeId = cursor.u32(`the value type of '${key}'`, key);
    metadata.set(key, readValue(cursor, valueType(cursor, typeId, key), key));
  }
  const alignment = readAlignment(file, metadata);
  const infos = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const info = readTensorInfo(cursor, i);
    if (names.has(info.name)) throw formatError('duplicate-name', file, `tensor '${info.name}' is listed twice`, 'the file is corrupt or was written by a buggy converter; re-convert it', { subject: info.name });
    names.add(info.name);
    infos.push(info);
  }
  const dataOffset = alignUp(cursor.position, alignment);
  const tensors = layOutTensors(file, fileSize, infos, alignment, dataOffset);
  return { version, metadata, tensors, alignment, dataOffset };
}

function readPreamble(cursor: HeaderCursor): number {
  const { file } = cursor;
  if (cursor.fileSize < 4) throw new TruncatedFileError(file, 'the 4-byte magic is missing', 4, cursor.fileSize);
  const magic = cursor.u32('the magic');
  if (magic !== GGUF_MAGIC) {
    const got = [0, 8, 16, 24].map((shift) => (magic >>> shift) & 0xff);
    const printable = got.every((byte) => byte >= 0x20 && byte < 0x7f) ? `'${String.fromCharCode(...got)}'` : `0x${got.map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
    throw formatError('bad-magic', file, 'not a GGUF file', 'pass a .gguf file (a safetensors checkpoint loads through the safetensors reader)', { expected: "'GGUF'", got: printable });
  }
  const version = cursor.u32('the version');
  if (version === 2 || version === 3) return version;
  // A big-endian GGUF (v3 allows it) reads as version 0x02000000 / 0x03000000 here.
  const swapped = ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
  if (swapped === 2 || swapped === 3) {
    throw new UnsupportedVersionError(file, 'GGUF', `${swapped} big-endian`, ['2', '3 (little-endian)'], 'convert the file to little-endian with llama.cpp (gguf-py/gguf/scripts/gguf_convert_endian.py)');
  }
  throw new UnsupportedVersionError(file, 'GGUF', String(version), ['2', '3'], version === 1 ? 'GGUF v1 is obsolete; re-convert the model with a current llama.cpp' : undefined);
}

function readCount(cursor: HeaderCursor, field: string, limit: number, minBytesEach: number): number {
  const count = cursor.safeU64(field);
  if (count > limit) {
    throw formatError('limit-exceeded', cursor.file, `${field} is ${count}, beyond any real model`, 'the header is corrupt; re-download the file', { subject: field, expected: `at most ${limit}`, got: count });
  }
  // Each entry takes at least `minBytesEach` bytes: a count the rest of the file cannot hold fails here, before any allocation.
  if (count * minBytesEach > cursor.remaining) {
    throw new TruncatedFileError(cursor.file, `${field} = ${count} needs at least ${count * minBytesEach} more bytes`, cursor.position + count * minBytesEach, cursor.fileSize, field);
  }
  return count;
}

function valueType(cursor: HeaderCursor, typeId: number, key: string): GgufValueType {
  const type = GGUF_VALUE_TYPES[typeId];
  if (type === undefined) {
    throw formatError('unknown-value-type', cursor.file, `metadata '${key}' has value type ${typeId}`, 'the file is corrupt or from a newer GGUF version; update Cria or re-convert the file', {
      subject: key,
      expected: `a type id 0..${GGUF_VALUE_TYPES.length - 1}`,
      got: typeId,
    });
  }
  return type;
}

function readValue(cursor: HeaderCursor, type: GgufValueType, key: string): GgufValue {
  const { view } = cursor;
  const what = `the value of '${key}'`;
  switch (type) {
    case 'u8': return { type, value: view.getUint8(cursor.take(1, what, key)) };
    case 'i8': return { type, value: view.getInt8(cursor.take(1, what, key)) };
    case 'u16': return { type, value: view.getUint16(cursor.take(2, what, key), true) };
    case 'i16': return { type, value: view.getInt16(cursor.take(2, what, key), true) };
    case 'u32': return { type, value: view.getUint32(cursor.take(4, what, key), true) };
    case 'i32': return { type, value: view.getInt32(cursor.take(4, what, key), true) };
    case 'f32': return { type, value: view.getFloat32(cursor.take(4, what, key), true) };
    case 'f64': return { type, value: view.getFloat64(cursor.take(8, what, key), true) };
    case 'u64': return { type, value: view.getBigUint64(cursor.take(8, what, key), true) };
    case 'i64': return { type, value: view.getBigInt64(cursor.take(8, what, key), true) };
    case 'bool': return { type, value: readBool(cursor, cursor.u8(what, key), key) };
    case 'string': return { type, value: cursor.string(what, key) };
    case 'array': return { type, value: readArray(cursor, key, 0) };
  }
}

function readBool(cursor: HeaderCursor, byte: number, key: string): boolean {
  if (byte > 1) throw formatError('invalid-value', cursor.file, `bool '${key}' holds ${byte}`, 'the file is corrupt; re-download it', { subject: key, expected: '0 or 1', got: byte });
  return byte === 1;
}

function readArray(cursor: HeaderCursor, key: string, depth: number): GgufArray {
  if (depth >= MAX_ARRAY_NESTING) throw formatError('limit-exceeded', cursor.file, `array '${key}' is nested more than ${MAX_ARRAY_NESTING} deep`, 'the file is corrupt; re-download it', { subject: key });
  const itemType = valueType(cursor, cursor.u32(`the item type of array '${key}'`, key), key);
  const count = cursor.safeU64(`the length of array '${key}'`, key);
  // A string is at least its 8-byte length, a nested array its 12-byte header: check before allocating.
  const minItemBytes = GGUF_FIXED_SIZES[itemType] ?? (itemType === 'string' ? 8 : 12);
  if (count * minItemBytes > cursor.remaining) {
    throw new TruncatedFileError(cursor.file, `array '${key}' of ${count} ${itemType} items`, cursor.position + count * minItemBytes, cursor.fileSize, key);
  }
  const what = `array '${key}'`;
  return { itemType, items: readItems(cursor, itemType, count, what, key, depth) };
}

// Numeric items are copied out and viewed as typed arrays: GGUF is little-endian, as are the hosts JavaScript runs on.
function readItems(cursor: HeaderCursor, itemType: GgufValueType, count: number, what: string, key: string, depth: number): GgufArrayItems {
  switch (itemType) {
    case 'u8': return new Uint8Array(cursor.copy(count, what, key));
    case 'i8': return new Int8Array(cursor.copy(count, what, key));
    case 'u16': return new Uint16Array(cursor.copy(count * 2, what, key));
    case 'i16': return new Int16Array(cursor.copy(count * 2, what, key));
    case 'u32': return new Uint32Array(cursor.copy(count * 4, what, key));
    case 'i32': return new Int32Array(cursor.copy(count * 4, what, key));
    case 'f32': return new Float32Array(cursor.copy(count * 4, what, key));
    case 'f64': return new Float64Array(cursor.copy(count * 8, what, key));
    case 'u64': return new BigUint64Array(cursor.copy(count * 8, what, key));
    case 'i64': return new BigInt64Array(cursor.copy(count * 8, what, key));
    case 'bool': return Array.from(new Uint8Array(cursor.copy(count, what, key)), (byte) => readBool(cursor, byte, key));
    case 'string': {
      if (cursor.scan) {
        for (let i = 0; i < count; i++) cursor.skipString(what, key, i);
        return [];
      }
      const strings = new Array<string>(count);
      for (let i = 0; i < count; i++) strings[i] = cursor.string(what, key, i);
      return strings;
    }
    case 'array': return Array.from({ length: count }, () => readArray(cursor, key, depth + 1));
  }
}

function readAlignment(file: string, metadata: ReadonlyMap<string, GgufValue>): number {
  const value = metadata.get('general.alignment');
  if (value === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (value.type !== 'u32' || value.value === 0 || (value.value & (value.value - 1)) !== 0) {
    throw formatError('invalid-value', file, 'general.alignment must be a u32 power of two', 'the file is corrupt; re-convert it', {
      subject: 'general.alignment',
      expected: 'a u32 power of two (default 32)',
      got: `${value.type} ${String(value.value)}`,
    });
  }
  return value.value;
}

interface RawTensorInfo {
  name: string;
  dims: number[];
  typeId: number;
  offset: number;
}

function readTensorInfo(cursor: HeaderCursor, index: number): RawTensorInfo {
  const name = cursor.string(`the name of tensor #${index}`);
  const dimCount = cursor.u32(`n_dims of '${name}'`, name);
  if (dimCount < 1 || dimCount > GGML_MAX_DIMS) {
    throw formatError('invalid-dims', cursor.file, `tensor '${name}' has ${dimCount} dims`, 'the file is corrupt; re-download it', { subject: name, expected: `1..${GGML_MAX_DIMS}`, got: dimCount });
  }
  const dims = Array.from({ length: dimCount }, (_, i) => cursor.safeU64(`dim ${i} of '${name}'`, name));
  const typeId = cursor.u32(`the type of '${name}'`, name);
  const offset = cursor.safeU64(`the offset of '${name}'`, name);
  return { name, dims, typeId, offset };
}

function layOutTensors(file: string, fileSize: number, infos: RawTensorInfo[], alignment: number, dataOffset: number): Map<string, GgufTensorInfo> {
  const tensors = new Map<string, GgufTensorInfo>();
  for (const { name, dims, typeId, offset } of infos) {
    const type = ggmlTypeById(typeId);
    if (!type) throw new UnsupportedDTypeError(file, name, `ggml type ${typeId} (${ggmlTypeLabel(typeId)})`, LOADABLE_GGML_TYPES);
    if (dims[0]! % type.blockSize !== 0) {
      throw formatError('invalid-dims', file, `tensor '${name}' (${type.name}) has rows of ${dims[0]} values, not whole blocks of ${type.blockSize}`, 'the file is corrupt; re-convert it', { subject: name });
    }
    const elements = safeProduct(dims);
    const byteLength = elements === undefined ? undefined : safeProduct([elements / type.blockSize, type.blockBytes]);
    if (byteLength === undefined) {
      throw formatError('integer-overflow', file, `tensor '${name}' has dims [${dims}], whose size is beyond 2^53 bytes`, 'the header is corrupt; re-download the file', { subject: name });
    }
    if (offset % alignment !== 0) {
      throw formatError('misaligned', file, `tensor '${name}' starts at data offset ${offset}, not a multiple of the alignment ${alignment}`, 'the file is corrupt or was written by a buggy converter; re-convert it', {
        subject: name,
      });
    }
    const byteOffset = dataOffset + offset;
    if (byteOffset > fileSize) {
      throw formatError('offset-out-of-bounds', file, `tensor '${name}' starts at byte ${byteOffset}, beyond the end of the file (${fileSize} bytes)`, 'the header is corrupt or the file truncated; re-download it', {
        subject: name,
      });
    }
    if (byteOffset + byteLength > fileSize) throw new TruncatedFileError(file, `tensor data for '${name}' is incomplete`, byteLength, fileSize - byteOffset, name);
    tensors.set(name, { name, type: type.name, dtype: type.name, typeId, dims, shape: [...dims].reverse(), offset, byteOffset, byteLength });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (current.offset < previous.offset + previous.byteLength) {
      throw formatError('overlap', file, `tensor '${current.name}' [${current.offset}, ${current.offset + current.byteLength}) overlaps '${previous.name}' (which ends at ${previous.offset + previous.byteLength})`, 'the header is corrupt; re-download or re-convert the file', {
        subject: current.name,
      });
    }
  }
  return tensors;
}

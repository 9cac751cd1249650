import { safeProduct } from '../checked-math.js';
import { TruncatedFileError, UnsupportedDTypeError, formatError } from '../errors.js';
import { findDuplicateTopLevelKey } from '../json-keys.js';

/**
 * The safetensors layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }),
 * then the data section. Offsets are relative to the data section, and the tensors must tile it
 * exactly: no overlaps and no holes (the spec's rule, which also catches a lying header).
 */

/** The spec's (and the Rust reader's) cap on the JSON header, so a hostile length cannot allocate gigabytes. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the spec defines; Cria loads F32, F16 and BF16. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
export const LOADABLE_SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type SafetensorsDType = (typeof LOADABLE_SAFETENSORS_DTYPES)[number];

export interface SafetensorsTensorInfo {
  readonly name: string;
  /** The dtype as written (any spec dtype; only F32/F16/BF16 can be read as tensors). */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Absolute offset of the first byte in the file. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  /** Absolute offset of the data section (8 + header length). */
  readonly dataOffset: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
}

/** Reads the header length from the first 8 bytes and checks it against the file size. */
export function parseHeaderLength(file: string, fileSize: number, prefix: Uint8Array): number {
  if (fileSize < 8) throw new TruncatedFileError(file, 'the 8-byte header length is missing', 8, fileSize);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw formatError('header-too-large', file, 'the header length is beyond the 100 MB the format allows', 'this is not a safetensors file, or its first 8 bytes are corrupt; re-download it', {
      expected: `at most ${MAX_SAFETENSORS_HEADER_BYTES} bytes`,
      got: `${length} bytes`,
    });
  }
  const headerLength = Number(length);
  if (8 + headerLength > fileSize) throw new TruncatedFileError(file, `the JSON header (${headerLength} bytes by the length field) runs past the end of the file`, 8 + headerLength, fileSize);
  return headerLength;
}

/** Parses and validates the JSON header; `fileSize` bounds the data section. */
export function parseSafetensorsHeader(file: string, fileSize: number, headerBytes: Uint8Array): SafetensorsHeader {
  const dataOffset = 8 + headerBytes.byteLength;
  const dataLength = fileSize - dataOffset;
  const root = parseJsonObject(file, headerBytes);
  const metadata = parseMetadata(file, root['__metadata__']);
  const tensors = new Map<string, SafetensorsTensorInfo>();
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(root)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, begin, end } = parseEntry(file, name, entry);
    const elements = safeProduct(shape);
    const byteLength = elements === undefined ? undefined : safeProduct([elements, SAFETENSORS_DTYPE_BYTES[dtype]!]);
    if (byteLength === undefined) {
      throw formatError('integer-overflow', file, `tensor '${name}' has shape [${shape}], whose size is beyond 2^53 bytes`, 'the header is corrupt; re-download the file', { subject: name });
    }
    if (end - begin !== byteLength) {
      throw formatError('size-mismatch', file, `tensor '${name}' (${dtype}, shape [${shape}]) has data_offsets [${begin}, ${end}]`, 'the header is corrupt or was written by a buggy exporter; re-export the checkpoint', {
        subject: name,
        expected: `${byteLength} bytes`,
        got: `${end - begin} bytes`,
      });
    }
    if (begin > dataLength) {
      throw formatError('offset-out-of-bounds', file, `tensor '${name}' starts at data offset ${begin}, beyond the end of the file`, 'the header is corrupt or the file truncated; re-download it', {
        subject: name,
        expected: `an offset of at most ${dataLength}`,
        got: begin,
      });
    }
    if (end > dataLength) throw new TruncatedFileError(file, `tensor data for '${name}' is incomplete`, end - begin, dataLength - begin, name);
    tensors.set(name, { name, dtype, shape, byteOffset: dataOffset + begin, byteLength });
    ranges.push({ name, begin, end });
  }
  checkTiling(file, ranges, dataLength);
  return { dataOffset, metadata, tensors };
}

function parseJsonObject(file: string, headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw formatError('invalid-utf8', file, 'the JSON header is not valid UTF-8', 'this is not a safetensors file, or its header is corrupt; re-download it');
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw formatError('invalid-json', file, `the header is not valid JSON (${(error as Error).message})`, 'this is not a safetensors file, or its header is corrupt; re-download it');
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw formatError('invalid-header', file, 'the JSON header is not an object', 'this is not a safetensors file; re-download it', { expected: 'an object', got: Array.isArray(root) ? 'an array' : typeof root });
  }
  const duplicate = findDuplicateTopLevelKey(text);
  if (duplicate !== undefined) {
    throw formatError('duplicate-name', file, `tensor '${duplicate}' is listed twice in the header`, 'the file is corrupt or was written by a buggy exporter; re-export it', { subject: duplicate });
  }
  return root as Record<string, unknown>;
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const isStringMap = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');
  if (!isStringMap) {
    throw formatError('invalid-header', file, '__metadata__ must map strings to strings', 're-export the file; the format allows only string values in __metadata__', {
      subject: '__metadata__',
      expected: 'an object of strings',
      got: JSON.stringify(value).slice(0, 80),
    });
  }
  return Object.assign(Object.create(null) as Record<string, string>, value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseEntry(file: string, name: string, entry: unknown): { dtype: string; shape: number[]; begin: number; end: number } {
  const invalid = (what: string, got: unknown) =>
    formatError('invalid-header', file, `tensor '${name}' has an invalid ${what}`, 'the header is corrupt; re-download or re-export the file', {
      subject: name,
      expected: what === 'entry' ? '{ dtype, shape, data_offsets }' : what === 'shape' ? 'an array of non-negative integers' : what === 'data_offsets' ? '[begin, end] with 0 <= begin <= end' : 'a dtype string',
      got: JSON.stringify(got)?.slice(0, 80) ?? String(got),
    });
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid('entry', entry);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') throw invalid('dtype', dtype);
  if (!(dtype in SAFETENSORS_DTYPE_BYTES)) throw new UnsupportedDTypeError(file, name, dtype, LOADABLE_SAFETENSORS_DTYPES);
  if (!Array.isArray(shape) || !shape.every((dim) => typeof dim === 'number' && Number.isInteger(dim) && dim >= 0)) throw invalid('shape', shape);
  if (shape.some((dim) => !Number.isSafeInteger(dim))) {
    throw formatError('integer-overflow', file, `tensor '${name}' has a dim beyond 2^53`, 'the header is corrupt; re-download the file', { subject: name, got: JSON.stringify(shape) });
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isIndex(offsets[0]) || !isIndex(offsets[1]) || offsets[0] > offsets[1]) throw invalid('data_offsets', offsets);
  return { dtype, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}

/** The spec's rule: the tensors cover the data section exactly, in any order, without overlap or holes. */
function checkTiling(file: string, ranges: Array<{ name: string; begin: number; end: number }>, dataLength: number): void {
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '(start of data)';
  for (const { name, begin, end } of ranges) {
    if (begin < covered) {
      throw formatError('overlap', file, `tensor '${name}' [${begin}, ${end}) overlaps '${previous}' (which ends at ${covered})`, 'the header is corrupt; re-download or re-export the file', { subject: name });
    }
    if (begin > covered) {
      throw formatError('gap', file, `bytes [${covered}, ${begin}) of the data section belong to no tensor (before '${name}')`, 'the header is corrupt or was written by a buggy exporter; re-export the file', {
        subject: name,
      });
    }
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) {
    throw formatError('gap', file, `the data section has ${dataLength - covered} bytes after the last tensor`, 'the header does not describe the whole file (a lying header, or bytes appended); re-download it', {
      expected: `${covered} bytes of data`,
      got: `${dataLength} bytes`,
    });
  }
}

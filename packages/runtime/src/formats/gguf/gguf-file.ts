import { dequantizeQ4_0, dequantizeQ8_0, fromBf16, fromF16, quantizeQ4_0, quantizeQ8_0, type DType } from '@cria/kernels';
import { concatBytes } from '../chunks.js';
import { MissingTensorError, UnsupportedDTypeError, formatError } from '../errors.js';
import { hostArrayFromBytes, readStoredRows, type HostTensor, type WeightReader } from '../host-tensor.js';
import type { ByteSource } from '../sources/byte-source.js';
import { ggmlTypeByName, LOADABLE_GGML_TYPES } from './ggml-types.js';
import { parseGgufHeader, type GgufTensorInfo } from './gguf-header.js';
import { NeedMoreBytes } from './header-cursor.js';
import { ggufMetadataToRecord, type GgufValue } from './gguf-value.js';
import { dequantizeQ4_K, dequantizeQ6_K } from './k-quants.js';

/** First read of the header; it grows (doubling) until the header fits. */
const INITIAL_HEADER_READ = 1 << 20;
/** Beyond any real tokenizer vocabulary (a 256k vocab with merges is ~20 MB). */
export const MAX_GGUF_HEADER_BYTES = 512 << 20;

/**
 * What k-quant tensors become at load, since the kernels take f32/f16/bf16/q8_0/q4_0:
 * - `q8_0` (default): dequantize, then requantize to Q8_0. The error Q8_0 adds (at most half a step
 *   of amax/127 per 32 values) is far below the k-quant's own, so the model computes nearly the
 *   same function; the price is memory (8.5 bits per weight against Q4_K's 4.5 and Q6_K's 6.56).
 * - `q4_0`: smallest, but Q4_0's grid differs from Q4_K's, so requantizing adds an error as large
 *   as the original quantization's: expect visibly different outputs.
 * - `f32`: exact values, 4 bytes per weight (tests and small models).
 */
export type KQuantTarget = 'q8_0' | 'q4_0' | 'f32';

export interface GgufReadOptions {
  readonly kQuantTarget?: KQuantTarget;
}

/**
 * A GGUF file (v2 or v3). `open` reads and validates only the header; tensors are read one at a
 * time with positioned reads. F32/F16/BF16/Q8_0/Q4_0 load as stored (GGUF's block layouts are the
 * kernels' layouts); Q4_K and Q6_K are converted (see KQuantTarget).
 */
export class GgufFile implements WeightReader {
  private constructor(
    readonly source: ByteSource,
    readonly version: number,
    readonly metadata: ReadonlyMap<string, GgufValue>,
    readonly tensors: ReadonlyMap<string, GgufTensorInfo>,
    readonly alignment: number,
    readonly dataOffset: number,
  ) {}

  static async open(source: ByteSource): Promise<GgufFile> {
    try {
      let bytes = await source.read(0, Math.min(source.size, INITIAL_HEADER_READ));
      for (;;) {
        try {
          // Scan passes (no string arrays decoded) until the bytes hold the whole header, then one
          // full parse: a 128k-token vocabulary is decoded once, not once per read that fell short.
          parseGgufHeader(source.name, source.size, bytes, true);
          const header = parseGgufHeader(source.name, source.size, bytes);
          return new GgufFile(source, header.version, header.metadata, header.tensors, header.alignment, header.dataOffset);
        } catch (error) {
          if (!(error instanceof NeedMoreBytes)) throw error;
          if (error.end > MAX_GGUF_HEADER_BYTES) {
            throw formatError('header-too-large', source.name, 'the metadata and tensor infos are larger than Cria reads', 'the header is corrupt; re-download the file', {
              expected: `at most ${MAX_GGUF_HEADER_BYTES} bytes`,
              got: `at least ${error.end} bytes`,
            });
          }
          const length = Math.min(source.size, Math.max(error.end, 2 * bytes.byteLength));
          bytes = concatBytes([bytes, await source.read(bytes.byteLength, length - bytes.byteLength)]);
        }
      }
    } catch (error) {
      await source.close?.();
      throw error;
    }
  }

  get name(): string {
    return this.source.name;
  }

  /** The metadata as plain values (what `tokenizerFromGguf` from @cria/tokenizer takes). */
  metadataRecord(): Record<string, unknown> {
    return ggufMetadataToRecord(this.metadata);
  }

  /** A metadata value of the expected kind, or undefined when absent; a value of another kind is an error. */
  get(key: string, kind: 'number'): number | undefined;
  get(key: string, kind: 'string'): string | undefined;
  get(key: string, kind: 'boolean'): boolean | undefined;
  get(key: string, kind: 'number' | 'string' | 'boolean'): number | string | boolean | undefined {
    const entry = this.metadata.get(key);
    if (entry === undefined) return undefined;
    const value = typeof entry.value === 'bigint' && entry.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(entry.value) : entry.value;
    if (typeof value !== kind) {
      throw formatError('invalid-value', this.source.name, `metadata '${key}' is a ${entry.type}`, 're-convert the file with a current llama.cpp', { subject: key, expected: `a ${kind}`, got: entry.type });
    }
    return value as number | string | boolean;
  }

  info(name: string): GgufTensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new MissingTensorError(this.source.name, name);
    return info;
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.info(name);
    return this.source.read(info.byteOffset, info.byteLength);
  }

  async read(name: string, options: GgufReadOptions = {}): Promise<HostTensor> {
    const info = this.info(name);
    return this.#convert(info, info.shape, await this.readBytes(name), options);
  }

  /** Rows of a tensor (see WeightReader.readRows); k-quants are converted row block by row block. */
  async readRows(name: string, firstRow: number, rowCount: number, scratch?: Uint8Array, options: GgufReadOptions = {}): Promise<HostTensor> {
    const info = this.info(name);
    const rowLength = info.dims[0] ?? 1;
    const type = ggmlTypeByName(info.type);
    if (!type) throw new UnsupportedDTypeError(this.source.name, name, info.type, LOADABLE_GGML_TYPES);
    const rows = info.dims.slice(1).reduce((product, dim) => product * dim, 1);
    const stored = { byteOffset: info.byteOffset, rows, rowBytes: (rowLength / type.blockSize) * type.blockBytes };
    const bytes = await readStoredRows(this.source, name, stored, firstRow, rowCount, scratch);
    return this.#convert(info, [rowCount, rowLength], bytes, options);
  }

  /** Stored bytes → a kernel dtype: F32/F16/BF16/Q8_0/Q4_0 as they are, Q4_K/Q6_K per KQuantTarget. */
  #convert(info: GgufTensorInfo, shape: readonly number[], bytes: Uint8Array, options: GgufReadOptions): HostTensor {
    const elements = shape.reduce((product, dim) => product * dim, 1);
    const direct: Record<string, DType> = { F32: 'f32', F16: 'f16', BF16: 'bf16', Q8_0: 'q8_0', Q4_0: 'q4_0' };
    const dtype = direct[info.type];
    if (dtype) return { dtype, shape, data: hostArrayFromBytes(dtype, bytes, elements) };
    if (info.type !== 'Q4_K' && info.type !== 'Q6_K') throw new UnsupportedDTypeError(this.source.name, info.name, info.type, LOADABLE_GGML_TYPES);
    const values = info.type === 'Q4_K' ? dequantizeQ4_K(bytes, elements) : dequantizeQ6_K(bytes, elements);
    const target = options.kQuantTarget ?? 'q8_0';
    if (target === 'f32') return { dtype: 'f32', shape, data: values };
    return { dtype: target, shape, data: target === 'q8_0' ? quantizeQ8_0(values) : quantizeQ4_0(values) };
  }

  /** Any loadable tensor as f32 values (tests, conversions, small models). */
  async readF32(name: string): Promise<Float32Array> {
    const tensor = await this.read(name, { kQuantTarget: 'f32' });
    switch (tensor.dtype) {
      case 'f32':
        return tensor.data as Float32Array;
      case 'f16':
        return fromF16(tensor.data as Uint16Array);
      case 'bf16':
        return fromBf16(tensor.data as Uint16Array);
      default: {
        const count = tensor.shape.reduce((product, dim) => product * dim, 1);
        return tensor.dtype === 'q8_0' ? dequantizeQ8_0(tensor.data as Uint8Array, count) : dequantizeQ4_0(tensor.data as Uint8Array, count);
      }
    }
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}

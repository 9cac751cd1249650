import { byteLength, type DType } from '@cria/kernels';
import { UnsupportedDTypeError, MissingTensorError } from '../errors.js';
import { hostArrayFromBytes, readStoredRows, type HostTensor, type WeightReader } from '../host-tensor.js';
import type { ByteSource } from '../sources/byte-source.js';
import { LOADABLE_SAFETENSORS_DTYPES, parseHeaderLength, parseSafetensorsHeader, type SafetensorsTensorInfo } from './safetensors-header.js';

const KERNEL_DTYPES: Readonly<Record<string, DType>> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };

/** Default size of the pieces `chunks` yields: big enough for fast I/O, small enough to stream. */
const CHUNK_BYTES = 16 << 20;

/**
 * One .safetensors file. `open` reads only the header (two small reads); tensors are read one at a
 * time with positioned reads, so loading never holds the file twice.
 */
export class SafetensorsFile implements WeightReader {
  private constructor(
    readonly source: ByteSource,
    readonly metadata: Readonly<Record<string, string>>,
    readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>,
    /** Absolute offset of the data section. */
    readonly dataOffset: number,
  ) {}

  static async open(source: ByteSource): Promise<SafetensorsFile> {
    try {
      const prefix = await source.read(0, Math.min(8, source.size));
      const headerLength = parseHeaderLength(source.name, source.size, prefix);
      const header = parseSafetensorsHeader(source.name, source.size, await source.read(8, headerLength));
      return new SafetensorsFile(source, header.metadata, header.tensors, header.dataOffset);
    } catch (error) {
      await source.close?.();
      throw error;
    }
  }

  get name(): string {
    return this.source.name;
  }

  info(name: string): SafetensorsTensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new MissingTensorError(this.source.name, name);
    return info;
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.info(name);
    return this.source.read(info.byteOffset, info.byteLength);
  }

  /** F32 → f32, F16 → f16, BF16 → bf16, as stored (no conversion); other dtypes are rejected. */
  async read(name: string): Promise<HostTensor> {
    const info = this.info(name);
    const dtype = KERNEL_DTYPES[info.dtype];
    if (!dtype) throw new UnsupportedDTypeError(this.source.name, name, info.dtype, LOADABLE_SAFETENSORS_DTYPES);
    const bytes = await this.source.read(info.byteOffset, info.byteLength);
    const elements = info.shape.reduce((product, dim) => product * dim, 1);
    return { dtype, shape: info.shape, data: hostArrayFromBytes(dtype, bytes, elements) };
  }

  /** Rows of a tensor as stored (see WeightReader.readRows). */
  async readRows(name: string, firstRow: number, rowCount: number, scratch?: Uint8Array): Promise<HostTensor> {
    const info = this.info(name);
    const dtype = KERNEL_DTYPES[info.dtype];
    if (!dtype) throw new UnsupportedDTypeError(this.source.name, name, info.dtype, LOADABLE_SAFETENSORS_DTYPES);
    const rowLength = info.shape.at(-1) ?? 1;
    const rows = info.shape.slice(0, -1).reduce((product, dim) => product * dim, 1);
    const stored = { byteOffset: info.byteOffset, rows, rowBytes: rowLength * byteLength(dtype, [1]) };
    const bytes = await readStoredRows(this.source, name, stored, firstRow, rowCount, scratch);
    return { dtype, shape: [rowCount, rowLength], data: hostArrayFromBytes(dtype, bytes, rowCount * rowLength) };
  }

  /** A tensor's bytes in pieces of at most `chunkBytes`, for streaming into a backend buffer. */
  async *chunks(name: string, chunkBytes = CHUNK_BYTES): AsyncIterable<Uint8Array> {
    const info = this.info(name);
    for (let offset = 0; offset < info.byteLength; offset += chunkBytes) {
      yield await this.source.read(info.byteOffset + offset, Math.min(chunkBytes, info.byteLength - offset));
    }
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}

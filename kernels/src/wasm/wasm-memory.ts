import { ResourceLimitError } from '../errors.js';
import { FreeListAllocator } from './allocator.js';

/**
 * The backend's linear memory: one `WebAssembly.Memory` (shared between the main instance and the
 * workers when threaded), carved up by a free-list allocator that grows it page by page.
 */
const PAGE = 65536;
/** wasm32 addresses 4 GiB at most; the threaded builds declare this maximum for their shared memory. */
export const MAXIMUM_PAGES = 65536;
/** Below this the allocator hands out nothing: offset 0 never aliases a tensor, and fixed words live here. */
const BASE = 1024;
/**
 * The chunk counter of matmul and attention calls (assembly/common/work-queue.ts): a fixed word
 * below BASE, alone on its 64-byte cache line, outside the allocator (so `bytesInUse` counts tensors
 * and scratch only).
 */
export const CHUNK_COUNTER_OFFSET = 64;
const INITIAL_PAGES = 16;

export class WasmMemory {
  readonly memory: WebAssembly.Memory;
  readonly allocator: FreeListAllocator;
  #bytes: Uint8Array;

  constructor(readonly shared: boolean) {
    this.memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared });
    this.#bytes = new Uint8Array(this.memory.buffer);
    this.allocator = new FreeListAllocator(BASE, MAXIMUM_PAGES * PAGE, (end) => this.#growTo(end), INITIAL_PAGES * PAGE);
  }

  /** A byte view of the whole memory, renewed after growth (growing detaches or outgrows old views). */
  get bytes(): Uint8Array {
    if (this.#bytes.buffer !== this.memory.buffer || this.#bytes.byteLength !== this.memory.buffer.byteLength) {
      this.#bytes = new Uint8Array(this.memory.buffer);
    }
    return this.#bytes;
  }

  allocate(bytes: number): number {
    return this.allocator.allocate(bytes);
  }

  free(offset: number): void {
    this.allocator.free(offset);
  }

  /** Copies `data` into memory at `offset`. */
  write(offset: number, data: ArrayBufferView): void {
    this.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
  }

  /** A copy of `length` bytes at `offset` in a fresh (never shared) ArrayBuffer. */
  read(offset: number, length: number): ArrayBuffer {
    const copy = new Uint8Array(length);
    copy.set(this.bytes.subarray(offset, offset + length));
    return copy.buffer;
  }

  /** Copies `target.byteLength` bytes at `offset` into `target`. */
  readInto(offset: number, target: ArrayBufferView): void {
    new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(this.bytes.subarray(offset, offset + target.byteLength));
  }

  fill(offset: number, length: number, value = 0): void {
    this.bytes.fill(value, offset, offset + length);
  }

  float32(offset: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, count);
  }

  int32(offset: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, count);
  }

  /** Grows to at least `end` bytes, with 1/8 headroom so that a stream of uploads grows rarely. */
  #growTo(end: number): number {
    const current = this.memory.buffer.byteLength / PAGE;
    const needed = Math.ceil(end / PAGE);
    const target = Math.min(MAXIMUM_PAGES, Math.max(needed, Math.ceil(current * 1.125)));
    try {
      this.memory.grow(target - current);
    } catch (error) {
      throw new ResourceLimitError(
        `wasm backend: could not grow linear memory to ${target * PAGE} bytes (${(error as Error).message})`,
        'the engine or the machine refused more memory: free tensors, use quantized weights, or close other tabs/processes',
      );
    }
    return target * PAGE;
  }
}

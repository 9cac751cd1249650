import { ResourceLimitError } from '../errors.js';

/**
 * A first-fit free-list allocator over the address range [base, limit) of a linear memory that
 * grows on demand. Blocks are 16-byte aligned (v128 loads, and every dtype's row start). Freed
 * blocks coalesce with their neighbours; a request that fits nowhere extends the top of memory
 * through `grow`, which returns the new end of the memory (it may round up, e.g. to whole pages).
 */
export const ALIGNMENT = 16;

interface Range {
  offset: number;
  size: number;
}

export class FreeListAllocator {
  #free: Range[] = [];
  readonly #allocated = new Map<number, number>();
  #end: number;
  #inUse = 0;

  constructor(
    readonly base: number,
    readonly limit: number,
    private readonly grow: (end: number) => number,
    end = base,
  ) {
    this.#end = end;
    if (end > base) this.#free.push({ offset: base, size: end - base });
  }

  /** Bytes currently handed out (after alignment). */
  get bytesInUse(): number {
    return this.#inUse;
  }

  /** End of the managed memory so far. */
  get end(): number {
    return this.#end;
  }

  allocate(bytes: number): number {
    const size = Math.max(ALIGNMENT, Math.ceil(bytes / ALIGNMENT) * ALIGNMENT);
    let index = this.#free.findIndex((range) => range.size >= size);
    if (index < 0) index = this.#extend(size, bytes);
    const range = this.#free[index]!;
    const offset = range.offset;
    if (range.size === size) this.#free.splice(index, 1);
    else {
      range.offset += size;
      range.size -= size;
    }
    this.#allocated.set(offset, size);
    this.#inUse += size;
    return offset;
  }

  free(offset: number): void {
    const size = this.#allocated.get(offset);
    if (size === undefined) throw new RangeError(`free: no block allocated at offset ${offset}`);
    this.#allocated.delete(offset);
    this.#inUse -= size;
    // Insert in address order, then merge with the neighbours it touches.
    let index = this.#free.findIndex((range) => range.offset > offset);
    if (index < 0) index = this.#free.length;
    this.#free.splice(index, 0, { offset, size });
    const next = this.#free[index + 1];
    if (next && offset + size === next.offset) {
      this.#free[index]!.size += next.size;
      this.#free.splice(index + 1, 1);
    }
    const previous = this.#free[index - 1];
    if (previous && previous.offset + previous.size === offset) {
      previous.size += this.#free[index]!.size;
      this.#free.splice(index, 1);
    }
  }

  /** Grows memory so a free range at the top holds `size` bytes; returns that range's index. */
  #extend(size: number, requested: number): number {
    const last = this.#free[this.#free.length - 1];
    const topIsFree = last !== undefined && last.offset + last.size === this.#end;
    const start = topIsFree ? last.offset : this.#end;
    const needed = start + size;
    if (needed > this.limit) {
      throw new ResourceLimitError(
        `wasm backend: cannot allocate ${requested} bytes: ${this.#inUse} bytes are in use and linear memory ` +
          `is limited to ${this.limit} bytes (4 GiB for wasm32)`,
        'free tensors you no longer need, use quantized weights (q8_0 / q4_0), or use the webgpu backend for larger models',
      );
    }
    const end = this.grow(needed);
    if (topIsFree) last.size = end - last.offset;
    else this.#free.push({ offset: this.#end, size: end - this.#end });
    this.#end = end;
    return this.#free.length - 1;
  }
}

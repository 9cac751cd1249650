/** GPUBufferUsage flags as numbers: the `GPUBufferUsage` global is missing in some Node setups. */
export const BufferUsage = { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;

const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
const MIN_BUCKET = 256;
/** Past 4 MiB, buckets step by an eighth of a power of two: at most 12.5% slack on a big weight. */
const FINE_BUCKETS_FROM = 4 * 1024 * 1024;

/** The buffer size a request of `byteLength` gets, so that freed buffers fit later requests. */
export function bucketSize(byteLength: number): number {
  const size = Math.max(MIN_BUCKET, byteLength);
  const power = 2 ** Math.ceil(Math.log2(size));
  if (power <= FINE_BUCKETS_FROM) return power;
  const step = power / 16;
  return Math.ceil(size / step) * step;
}

export interface BufferPoolStats {
  /** Buffers created with `device.createBuffer`. */
  created: number;
  /** Requests served from a freed buffer. */
  reused: number;
  /** Bytes held by freed buffers, waiting for reuse. */
  pooledBytes: number;
}

/**
 * Storage buffers bucketed by size and reused on free: creating a GPU buffer is a driver call and
 * zero-fills memory, while a model's activations are freed and reallocated every step. Buffers
 * beyond `maxPooledBytes` are destroyed instead of kept.
 */
export class BufferPool {
  readonly stats: BufferPoolStats = { created: 0, reused: 0, pooledBytes: 0 };
  readonly #free = new Map<number, GPUBuffer[]>();

  constructor(
    private readonly device: GPUDevice,
    private readonly maxPooledBytes = 1024 * 1024 * 1024,
    /** Told of each buffer just before it is destroyed (the bind group cache drops what binds it). */
    private readonly onDestroy: (buffer: GPUBuffer) => void = () => {},
  ) {}

  /** A buffer of at least `byteLength` bytes; `reused` ones still hold old data (new ones are zeroed). */
  acquire(byteLength: number): { buffer: GPUBuffer; reused: boolean } {
    const size = Math.min(bucketSize(byteLength), Math.max(byteLength, this.device.limits.maxBufferSize));
    const buffer = this.#free.get(size)?.pop();
    if (buffer) {
      this.stats.reused++;
      this.stats.pooledBytes -= size;
      return { buffer, reused: true };
    }
    this.stats.created++;
    return { buffer: this.device.createBuffer({ size, usage: STORAGE_USAGE, label: `cria pool ${size}` }), reused: false };
  }

  /** Returns a buffer for reuse. The caller guarantees no unsubmitted command still uses it. */
  release(buffer: GPUBuffer): void {
    if (this.stats.pooledBytes + buffer.size > this.maxPooledBytes) {
      this.onDestroy(buffer);
      buffer.destroy();
      return;
    }
    const list = this.#free.get(buffer.size) ?? [];
    list.push(buffer);
    this.#free.set(buffer.size, list);
    this.stats.pooledBytes += buffer.size;
  }

  destroy(): void {
    for (const list of this.#free.values()) {
      for (const buffer of list) {
        this.onDestroy(buffer);
        buffer.destroy();
      }
    }
    this.#free.clear();
    this.stats.pooledBytes = 0;
  }
}

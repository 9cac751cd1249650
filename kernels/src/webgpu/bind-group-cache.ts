/**
 * Bind groups kept across batches. A decode step records the same dispatches over the same buffers
 * every token — the uniform slots too, since CommandRecorder hands them out in the same order each
 * batch — and `createBindGroup` (with the `getBindGroupLayout` it needs) was the costliest call in
 * recording one: 23 of 68 µs per dispatch on Dawn (SwiftShader, Node), measured; in a browser each
 * call is also a message to the GPU process.
 *
 * Keyed by pipeline (an 'auto' layout belongs to its pipeline alone) and every binding's buffer,
 * offset and size. A bind group must not outlive its buffers: `forget(buffer)` drops the entries
 * naming a buffer about to be destroyed. Past MAX_ENTRIES (shapes that keep changing, as in
 * training with varied batches) the cache starts over rather than grow.
 */
const MAX_ENTRIES = 4096;

export interface BindGroupCacheStats {
  hits: number;
  misses: number;
}

export class BindGroupCache {
  readonly stats: BindGroupCacheStats = { hits: 0, misses: 0 };
  readonly #groups = new Map<string, GPUBindGroup>();
  readonly #keysByBuffer = new Map<GPUBuffer, string[]>();
  readonly #ids = new WeakMap<object, number>();
  #nextId = 1;
  /** Keys listed in #keysByBuffer, stale ones included (forget leaves other buffers' lists as they are). */
  #listed = 0;

  constructor(private readonly device: GPUDevice) {}

  /** The bind group of `pipeline` (group 0) over `entries`, created on first use. */
  get(pipeline: GPUComputePipeline, entries: readonly GPUBindGroupEntry[]): GPUBindGroup {
    let key = String(this.#id(pipeline));
    for (const entry of entries) {
      const { buffer, offset, size } = entry.resource as GPUBufferBinding;
      key += `|${entry.binding}:${this.#id(buffer)}:${offset ?? 0}:${size ?? 'all'}`;
    }
    const cached = this.#groups.get(key);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    if (this.#groups.size >= MAX_ENTRIES || this.#listed >= 4 * MAX_ENTRIES) this.clear();
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.#groups.set(key, group);
    for (const entry of entries) {
      const { buffer } = entry.resource as GPUBufferBinding;
      const keys = this.#keysByBuffer.get(buffer);
      if (keys) keys.push(key);
      else this.#keysByBuffer.set(buffer, [key]);
      this.#listed++;
    }
    return group;
  }

  /** Drops every bind group that binds `buffer` (call before destroying it). */
  forget(buffer: GPUBuffer): void {
    const keys = this.#keysByBuffer.get(buffer);
    if (!keys) return;
    this.#keysByBuffer.delete(buffer);
    for (const key of keys) this.#groups.delete(key);
  }

  clear(): void {
    this.#groups.clear();
    this.#keysByBuffer.clear();
    this.#listed = 0;
  }

  get size(): number {
    return this.#groups.size;
  }

  #id(object: object): number {
    let id = this.#ids.get(object);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(object, id);
    }
    return id;
  }
}

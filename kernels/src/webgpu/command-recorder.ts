import { BindGroupCache } from './bind-group-cache.js';
import { BufferUsage } from './buffer-pool.js';

/** Counters for tests and benchmarks: how often we paid for a submit, and how much work it carried. */
export interface SubmitStats {
  submits: number;
  dispatches: number;
  /** Bind groups created: a decode step after the first reuses every one (BindGroupCache), so this stops growing. */
  bindGroups: number;
}

/** A kernel's parameters: each entry is one 4-byte uniform field, in the WGSL struct's order. */
export type UniformField = { u32: number } | { f32: number };

const UNIFORM_CHUNK_BYTES = 64 * 1024;

interface UniformChunk {
  buffer: GPUBuffer;
  mirror: ArrayBuffer;
  used: number;
}

/**
 * Records dispatches into one command encoder (one compute pass, split only by buffer copies) and
 * submits it once, when a result is read back or `sync` is called: a model step becomes one
 * `queue.submit` instead of one per op.
 *
 * Uniform parameters: every dispatch gets its own 256-byte slot in a chunk of a uniform buffer,
 * filled in a CPU mirror and uploaded with one `writeBuffer` per chunk just before the submit. A
 * single shared uniform rewritten between dispatches would be wrong, since `writeBuffer` executes
 * before the whole command buffer.
 *
 * Resources that recorded commands still use (freed tensors, scratch and staging buffers) are
 * released only after the submit: `queue.writeBuffer` into a reused buffer would otherwise overtake
 * the commands recorded before it.
 */
export class CommandRecorder {
  readonly bindGroups: BindGroupCache;
  #submits = 0;
  #dispatches = 0;
  #encoder?: GPUCommandEncoder;
  #pass?: GPUComputePassEncoder;
  /** Every uniform chunk, used in this order by each batch: slot k of a batch is the same buffer range every time. */
  readonly #chunks: UniformChunk[] = [];
  /** The chunk this batch's next slot comes from (chunks before it are full). */
  #chunkIndex = 0;
  #afterSubmit: (() => void)[] = [];
  readonly #slotBytes: number;

  constructor(private readonly device: GPUDevice) {
    this.#slotBytes = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
    this.bindGroups = new BindGroupCache(device);
  }

  /** A snapshot of the counters (bind groups created are the cache's misses). */
  get stats(): SubmitStats {
    return { submits: this.#submits, dispatches: this.#dispatches, bindGroups: this.bindGroups.stats.misses };
  }

  /** True while commands are recorded but not yet submitted. */
  get pending(): boolean {
    return this.#encoder !== undefined;
  }

  dispatch(
    pipeline: GPUComputePipeline,
    storage: readonly (GPUBufferBinding | undefined)[],
    uniforms: readonly UniformField[],
    workgroups: readonly [number, number, number],
  ): void {
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: this.#uniformSlot(uniforms) }];
    storage.forEach((resource, index) => {
      if (resource) entries.push({ binding: index + 1, resource });
    });
    const bindGroup = this.bindGroups.get(pipeline, entries);
    const pass = this.#computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    this.#dispatches++;
  }

  /** Records a buffer copy, ordered after every dispatch recorded so far. */
  copy(source: GPUBuffer, sourceOffset: number, target: GPUBuffer, targetOffset: number, byteLength: number): void {
    this.#endPass();
    this.#commandEncoder().copyBufferToBuffer(source, sourceOffset, target, targetOffset, byteLength);
  }

  /** Runs `release` once no unsubmitted command can use the resource any more (now, if none is pending). */
  afterSubmit(release: () => void): void {
    if (this.pending) this.#afterSubmit.push(release);
    else release();
  }

  /** Runs `release` after the next submit, which the caller is about to record commands for. */
  deferUntilSubmit(release: () => void): void {
    this.#commandEncoder();
    this.#afterSubmit.push(release);
  }

  /** Records zero-filling a buffer (a reused pool buffer holds a previous tensor's data). */
  clear(buffer: GPUBuffer, byteLength: number): void {
    this.#endPass();
    this.#commandEncoder().clearBuffer(buffer, 0, byteLength);
  }

  /** Uploads this batch's uniforms and submits everything recorded, if anything was. */
  submit(): void {
    if (!this.#encoder) return;
    this.#endPass();
    for (const chunk of this.#chunks) if (chunk.used > 0) this.device.queue.writeBuffer(chunk.buffer, 0, chunk.mirror, 0, chunk.used);
    const commands = this.#encoder.finish();
    this.#encoder = undefined;
    this.device.queue.submit([commands]);
    this.#submits++;
    // Later writeBuffer calls are ordered after this submit, so everything held can be reused now.
    for (const chunk of this.#chunks) chunk.used = 0;
    this.#chunkIndex = 0;
    const releases = this.#afterSubmit;
    this.#afterSubmit = [];
    // Last held, first released: the pool hands freed buffers back last-in first-out, so the next
    // batch's scratch requests get the same buffers in the same order, and its bind groups match.
    for (let i = releases.length - 1; i >= 0; i--) releases[i]!();
  }

  destroy(): void {
    this.#pass = undefined;
    this.#encoder = undefined;
    this.bindGroups.clear();
    for (const chunk of this.#chunks) chunk.buffer.destroy();
    this.#chunks.length = 0;
    this.#chunkIndex = 0;
    this.#afterSubmit = [];
  }

  #commandEncoder(): GPUCommandEncoder {
    this.#encoder ??= this.device.createCommandEncoder({ label: 'cria batch' });
    return this.#encoder;
  }

  #computePass(): GPUComputePassEncoder {
    this.#pass ??= this.#commandEncoder().beginComputePass({ label: 'cria ops' });
    return this.#pass;
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = undefined;
  }

  #uniformSlot(fields: readonly UniformField[]): GPUBufferBinding {
    const size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
    let chunk = this.#chunks[this.#chunkIndex];
    if (chunk && chunk.used + this.#slotBytes > UNIFORM_CHUNK_BYTES) chunk = this.#chunks[++this.#chunkIndex];
    if (!chunk) {
      chunk = {
        buffer: this.device.createBuffer({
          size: UNIFORM_CHUNK_BYTES,
          usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
          label: 'cria uniforms',
        }),
        mirror: new ArrayBuffer(UNIFORM_CHUNK_BYTES),
        used: 0,
      };
      this.#chunks.push(chunk);
    }
    const offset = chunk.used;
    const view = new DataView(chunk.mirror, offset, size);
    fields.forEach((field, index) => {
      if ('u32' in field) view.setUint32(index * 4, field.u32, true);
      else view.setFloat32(index * 4, field.f32, true);
    });
    chunk.used += this.#slotBytes;
    return { buffer: chunk.buffer, offset, size };
  }
}

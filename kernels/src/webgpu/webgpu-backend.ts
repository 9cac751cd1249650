import type { Backend, BackendInfo } from '../backend.js';
import { hostArrayFor, isQuantized, QUANT_BLOCK_SIZE, type DType, type HostArray } from '../dtype.js';
import { CriaKernelError, DeviceLostError, ResourceLimitError, ShapeMismatchError } from '../errors.js';
import type {
  AddRmsNormParams,
  ArgmaxParams,
  AttentionParams,
  BinaryParams,
  CopyParams,
  EmbeddingParams,
  LayerNormParams,
  MatmulParams,
  MatmulSwigluParams,
  RmsNormParams,
  RopeAppendParams,
  RopeParams,
  ScaleParams,
  SwigluParams,
  UnaryParams,
} from '../ops.js';
import { Tensor, assertLive } from '../tensor.js';
import { forwardTrainingOps, type TrainingOps } from '../training-ops.js';
import * as check from '../validate.js';
import { BufferPool, BufferUsage, type BufferPoolStats } from './buffer-pool.js';
import { CommandRecorder, type SubmitStats } from './command-recorder.js';
import { acquireDevice, describeAdapter, describeDevice, type AcquiredDevice, type WebGPUDeviceOptions } from './gpu-device.js';
import { attention } from './ops/attention.js';
import { copy } from './ops/copy.js';
import { binary, scale, swiglu, unary } from './ops/elementwise.js';
import { embedding } from './ops/embedding.js';
import { matmul, matmulSwiglu } from './ops/matmul.js';
import { addRmsnorm, argmax, layernorm, rmsnorm, softmax } from './ops/normalization.js';
import type { OpContext } from './ops/op-context.js';
import { rope } from './ops/rope.js';
import { ropeAppend } from './ops/rope-append.js';
import { PipelineCache } from './pipeline-cache.js';
import { packPart, planParts, unpackPart, type GpuPart, type GpuStorage } from './tensor-layout.js';
import { createWebGPUTrainingOps } from './webgpu-training.js';

export interface WebGPUBackendOptions extends WebGPUDeviceOptions {
  /**
   * Largest storage binding one tensor part may take; bigger tensors are split by rows.
   * Default: min(128 MiB, the device's maxStorageBufferBindingSize). Lower it to exercise the split
   * path on small tensors.
   */
  maxBindingBytes?: number;
}

const DEFAULT_MAX_BINDING_BYTES = 128 * 1024 * 1024;
const MAP_READ = 1;

/**
 * The WebGPU backend: tensors live in pooled GPU buffers, ops record compute dispatches of the WGSL
 * kernels in kernels/wgsl, and one `queue.submit` runs everything recorded when a result is read or
 * `sync` is called.
 */
// The training ops (webgpu-training.ts) are forwarded onto each instance: see forwardTrainingOps.
export interface WebGPUBackend extends TrainingOps {}
export class WebGPUBackend implements Backend, TrainingOps, OpContext {
  readonly name = 'webgpu' as const;
  readonly info: BackendInfo;
  readonly device: GPUDevice;
  readonly recorder: CommandRecorder;
  readonly pipelines: PipelineCache;
  readonly pool: BufferPool;
  readonly maxBindingBytes: number;
  readonly workgroupStorageBytes: number;
  #lost?: GPUDeviceLostInfo;
  #disposed = false;
  #errors: string[] = [];
  /** One of #errors was a GPUOutOfMemoryError: the next check says so as a ResourceLimitError. */
  #outOfMemory = false;
  readonly #frequencies = new Map<string, GPUBuffer>();
  /** Caller-computed frequencies (rope scaling), keyed by the array's identity. */
  readonly #customFrequencies = new Map<Float32Array, GPUBuffer>();
  /** Keeps the device's `GPU` and adapter reachable for as long as the backend is (see AcquiredDevice.origin). */
  readonly #acquired: AcquiredDevice;
  readonly #training: TrainingOps = createWebGPUTrainingOps(this, (op, ...tensors) => this.#live(op, ...tensors));

  constructor(
    acquired: AcquiredDevice,
    options: WebGPUBackendOptions = {},
    private readonly ownsDevice = true,
  ) {
    const device = acquired.device;
    this.#acquired = acquired;
    this.device = device;
    this.info = { name: 'webgpu', description: describeAdapter(acquired), details: describeDevice(acquired) };
    const limit = Math.min(DEFAULT_MAX_BINDING_BYTES, device.limits.maxStorageBufferBindingSize);
    this.maxBindingBytes = Math.floor(Math.min(options.maxBindingBytes ?? limit, limit) / 4) * 4;
    this.workgroupStorageBytes = device.limits.maxComputeWorkgroupStorageSize;
    this.recorder = new CommandRecorder(device);
    this.pool = new BufferPool(device, undefined, (buffer) => this.recorder.bindGroups.forget(buffer));
    this.pipelines = new PipelineCache(device, acquired.subgroups, (message) => this.#errors.push(message));
    void device.lost.then((info) => {
      this.#lost = info;
    });
    // A listener, not `onuncapturederror`, so a caller's own handler on a shared device survives.
    device.addEventListener('uncapturederror', (event) => {
      const { error } = event as GPUUncapturedErrorEvent;
      if (isOutOfMemory(error)) this.#outOfMemory = true;
      this.#errors.push(error.message);
    });
    forwardTrainingOps(this, this.#training);
  }

  /** Submits and dispatches so far: a chain of ops followed by one `read` costs one submit. */
  get stats(): SubmitStats {
    return this.recorder.stats;
  }

  get poolStats(): BufferPoolStats {
    return this.pool.stats;
  }

  tensor(dtype: DType, shape: readonly number[], data?: ArrayBufferView): Tensor {
    this.#assertUsable('tensor');
    check.checkNewTensor(dtype, shape);
    const rowLength = shape.length ? shape[shape.length - 1]! : 1;
    const parts: GpuPart[] = planParts(dtype, shape, this.maxBindingBytes).map((plan) => {
      const byteLength = Math.max(4, plan.byteLength);
      const { buffer, reused } = this.pool.acquire(byteLength);
      if (reused && !data) this.recorder.clear(buffer, byteLength);
      const quantBase = isQuantized(dtype) ? (plan.rowCount * rowLength) / QUANT_BLOCK_SIZE : 0;
      return { buffer, byteLength, rowBegin: plan.rowBegin, rowCount: plan.rowCount, quantBase };
    });
    const storage: GpuStorage = { parts, rowLength };
    const tensor = new Tensor(this.name, dtype, [...shape], storage);
    if (data) this.#upload(tensor, data);
    return tensor;
  }

  write(tensor: Tensor, data: ArrayBufferView): void {
    this.#live('write', tensor);
    this.#upload(tensor, data);
  }

  async read(tensor: Tensor): Promise<HostArray> {
    this.#live('read', tensor);
    const { parts, rowLength } = this.storage(tensor);
    const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
    const staging = this.device.createBuffer({ size: total, usage: MAP_READ | BufferUsage.COPY_DST, label: 'cria read' });
    let offset = 0;
    for (const part of parts) {
      this.recorder.copy(part.buffer, 0, staging, offset, part.byteLength);
      offset += part.byteLength;
    }
    this.recorder.submit();
    try {
      await staging.mapAsync(MAP_READ);
    } catch (error) {
      staging.destroy();
      throw await this.#explainFailure('read', error);
    }
    const bytes = new Uint8Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    this.#throwReportedErrors('read');
    const host = new Uint8Array(tensor.byteLength);
    offset = 0;
    for (const part of parts) {
      unpackPart(tensor.dtype, rowLength, bytes.subarray(offset, offset + part.byteLength), part, host);
      offset += part.byteLength;
    }
    return hostArrayFor(tensor.dtype, host.buffer, 0, tensor.size);
  }

  reshape(tensor: Tensor, shape: readonly number[]): Tensor {
    this.#live('reshape', tensor);
    check.checkReshape(tensor, shape);
    const { parts, rowLength } = this.storage(tensor);
    const viewRowLength = shape.length ? shape[shape.length - 1]! : 1;
    let storage: GpuStorage = { parts, rowLength };
    if (viewRowLength !== rowLength) {
      // Parts split a tensor between rows; another row length would cut rows across bindings.
      if (parts.length > 1) {
        throw new ResourceLimitError(
          `reshape: ${tensor} is split over ${parts.length} storage bindings (over ${this.maxBindingBytes} bytes) by rows of ${rowLength}; a view with rows of ${viewRowLength} would cut them`,
          'keep the last dimension, or view a smaller tensor',
        );
      }
      const rowCount = viewRowLength === 0 ? 0 : tensor.size / viewRowLength;
      storage = { parts: parts.map((part) => ({ ...part, rowCount })), rowLength: viewRowLength };
    }
    return new Tensor(this.name, tensor.dtype, [...shape], storage, tensor.storageOwner);
  }

  free(tensor: Tensor): void {
    assertLive(tensor, this.name, 'free');
    tensor.markFreed();
    if (this.#disposed || tensor.base) return;
    for (const part of this.storage(tensor).parts) this.recorder.afterSubmit(() => this.pool.release(part.buffer));
  }

  async sync(): Promise<void> {
    this.#assertUsable('sync');
    this.recorder.submit();
    try {
      await this.device.queue.onSubmittedWorkDone();
    } catch (error) {
      throw await this.#explainFailure('sync', error);
    }
    this.#assertUsable('sync');
    this.#throwReportedErrors('sync');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.recorder.destroy();
    this.pool.destroy();
    for (const buffer of [...this.#frequencies.values(), ...this.#customFrequencies.values()]) buffer.destroy();
    this.#frequencies.clear();
    this.#customFrequencies.clear();
    if (this.ownsDevice) this.device.destroy();
  }

  matmul(params: MatmulParams): void {
    this.#live('matmul', params.out, params.a, params.b);
    matmul(this, params);
  }

  matmulSwiglu(params: MatmulSwigluParams): void {
    this.#live('matmulSwiglu', params.out, params.a, params.b, params.gate);
    matmulSwiglu(this, params);
  }

  attention(params: AttentionParams): void {
    this.#live('attention', params.out, params.q, params.k, params.v);
    attention(this, params);
  }

  rmsnorm(params: RmsNormParams): void {
    this.#live('rmsnorm', params.out, params.x, params.weight);
    rmsnorm(this, params);
  }

  addRmsnorm(params: AddRmsNormParams): void {
    this.#live('addRmsnorm', params.out, params.residual, params.x, params.weight);
    addRmsnorm(this, params);
  }

  layernorm(params: LayerNormParams): void {
    this.#live('layernorm', params.out, params.x, params.weight, params.bias);
    layernorm(this, params);
  }

  rope(params: RopeParams): void {
    this.#live('rope', params.out, params.x, params.positions);
    rope(this, params);
  }

  ropeAppend(params: RopeAppendParams): void {
    const { qOut, q, k, v, keyCache, valueCache, positions } = params;
    this.#live('ropeAppend', qOut, q, k, v, keyCache, valueCache, positions);
    ropeAppend(this, params);
  }

  softmax(params: UnaryParams): void {
    this.#live('softmax', params.out, params.x);
    softmax(this, params);
  }

  silu(params: UnaryParams): void {
    this.#live('silu', params.out, params.x);
    unary(this, 'silu', params);
  }

  gelu(params: UnaryParams): void {
    this.#live('gelu', params.out, params.x);
    unary(this, 'gelu', params);
  }

  swiglu(params: SwigluParams): void {
    this.#live('swiglu', params.out, params.gate, params.up);
    swiglu(this, params);
  }

  add(params: BinaryParams): void {
    this.#live('add', params.out, params.a, params.b);
    binary(this, 'add', params);
  }

  mul(params: BinaryParams): void {
    this.#live('mul', params.out, params.a, params.b);
    binary(this, 'mul', params);
  }

  scale(params: ScaleParams): void {
    this.#live('scale', params.out, params.x);
    scale(this, params);
  }

  embedding(params: EmbeddingParams): void {
    this.#live('embedding', params.out, params.table, params.ids);
    embedding(this, params);
  }

  argmax(params: ArgmaxParams): void {
    this.#live('argmax', params.out, params.x);
    argmax(this, params);
  }

  copy(params: CopyParams): void {
    this.#live('copy', params.out, params.x);
    copy(this, params);
  }

  // OpContext

  storage(tensor: Tensor): GpuStorage {
    return tensor.handle as GpuStorage;
  }

  binding(tensor: Tensor, op: string, argument: string): GPUBufferBinding {
    const { parts } = this.storage(tensor);
    if (parts.length > 1) {
      throw new ResourceLimitError(
        `${op}: ${argument} ${tensor} is split over ${parts.length} storage bindings (over ${this.maxBindingBytes} bytes), which only matmul weights (transposeB) and embedding tables support`,
        'process it in smaller pieces (e.g. fewer tokens per call)',
      );
    }
    return { buffer: parts[0]!.buffer, size: parts[0]!.byteLength };
  }

  scratch(byteLength: number): GPUBufferBinding {
    const size = Math.max(4, byteLength);
    const { buffer } = this.pool.acquire(size);
    this.recorder.deferUntilSubmit(() => this.pool.release(buffer));
    return { buffer, size };
  }

  ropeFrequencies(theta: number, headDim: number, inverseFrequencies?: Float32Array): GPUBufferBinding {
    const key = inverseFrequencies ?? `${theta}/${headDim}`;
    const cache = inverseFrequencies ? this.#customFrequencies : this.#frequencies;
    let buffer = (cache as Map<unknown, GPUBuffer>).get(key);
    if (!buffer) {
      const frequencies = inverseFrequencies ?? new Float32Array(headDim / 2);
      if (!inverseFrequencies) for (let i = 0; i < frequencies.length; i++) frequencies[i] = Math.pow(theta, (-2 * i) / headDim);
      // A new buffer no recorded command uses yet, so writeBuffer cannot overtake anything.
      buffer = this.device.createBuffer({ size: Math.max(16, frequencies.byteLength), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, frequencies.buffer, frequencies.byteOffset, frequencies.byteLength);
      (cache as Map<unknown, GPUBuffer>).set(key, buffer);
    }
    return { buffer, size: Math.max(4, (headDim / 2) * 4) };
  }

  // Internals

  #upload(tensor: Tensor, data: ArrayBufferView): void {
    if (data.byteLength !== tensor.byteLength) {
      throw new ShapeMismatchError('write', 'data', `${tensor.byteLength} bytes for ${tensor}`, `${data.byteLength} bytes`);
    }
    const host = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const { parts, rowLength } = this.storage(tensor);
    for (const part of parts) {
      const bytes = packPart(tensor.dtype, rowLength, host, part);
      if (bytes.byteLength === 0) continue;
      if (!this.recorder.pending) {
        this.device.queue.writeBuffer(part.buffer, 0, bytes.buffer, bytes.byteOffset, bytes.byteLength);
        continue;
      }
      // Recorded ops may still read the old contents: a writeBuffer now would run before them,
      // so the new data goes through a staging buffer copied in command order.
      const staging = this.device.createBuffer({
        size: bytes.byteLength,
        usage: BufferUsage.COPY_SRC | BufferUsage.MAP_WRITE,
        mappedAtCreation: true,
        label: 'cria write',
      });
      new Uint8Array(staging.getMappedRange()).set(bytes);
      staging.unmap();
      this.recorder.copy(staging, 0, part.buffer, 0, bytes.byteLength);
      this.recorder.deferUntilSubmit(() => staging.destroy());
    }
  }

  #live(op: string, ...tensors: Tensor[]): void {
    this.#assertUsable(op);
    for (const tensor of tensors) assertLive(tensor, this.name, op);
  }

  #assertUsable(op: string): void {
    if (this.#disposed) throw new DeviceLostError('destroyed', `${op}: this backend was disposed`);
    if (this.#lost) throw new DeviceLostError(this.#lost.reason, `${op}: ${this.#lost.message || 'no message from the driver'}`);
  }

  #throwReportedErrors(op: string): void {
    const error = this.#reportedErrors(op);
    if (error) throw error;
  }

  /** The errors WebGPU reported since the last check, as one typed error (and cleared); undefined if none. */
  #reportedErrors(op: string): CriaKernelError | undefined {
    if (!this.#errors.length) return undefined;
    const messages = this.#errors.splice(0);
    // A failed allocation invalidates every later use of it: the first few messages say it all.
    const shown = messages.length > 3 ? `${messages.slice(0, 3).join(' | ')} | … ${messages.length - 3} more` : messages.join(' | ');
    if (this.#outOfMemory) {
      this.#outOfMemory = false;
      return new ResourceLimitError(
        `${op}: the WebGPU device ran out of memory (${messages.length} error(s) since the last check: ${shown})`,
        'free tensors you no longer need (a model: dispose it), load quantized weights (q8_0 / q4_0) or a smaller model, or use the wasm backend',
      );
    }
    return new CriaKernelError(
      `${op}: WebGPU reported ${messages.length} error(s) since the last check: ${shown}`,
      'results read since then may be wrong; this is a bug in @cria/kernels or an exceeded device limit — please report it with the message',
    );
  }

  /** A failed map or submit is usually a lost device: say so, with the driver's reason. */
  async #explainFailure(op: string, error: unknown): Promise<Error> {
    const lost = await Promise.race([this.device.lost, new Promise<undefined>((resolve) => setTimeout(resolve, 200))]);
    if (lost) {
      this.#lost = lost;
      return new DeviceLostError(lost.reason, `${op}: ${lost.message || (error as Error).message}`);
    }
    if (this.#disposed) return new DeviceLostError('destroyed', `${op}: this backend was disposed`);
    // A map that fails on a live device follows an error WebGPU reported (an allocation that did not fit, most often).
    const reported = this.#reportedErrors(op);
    if (reported) return reported;
    return error instanceof Error ? error : new CriaKernelError(`${op}: ${String(error)}`);
  }
}

/** GPUOutOfMemoryError where the global exists (browsers, Dawn's globals in Node); its message otherwise. */
function isOutOfMemory(error: GPUError): boolean {
  const type = (globalThis as { GPUOutOfMemoryError?: abstract new (...args: never[]) => GPUError }).GPUOutOfMemoryError;
  return type ? error instanceof type : /out of memory/i.test(error.message);
}

/**
 * Finds a GPU (options.gpu, else navigator.gpu, else the `webgpu` package in Node) and creates the
 * backend; throws `WebGPUNotAvailableError` without one.
 *
 * @example
 * const gpu = await createWebGPUBackend();
 * const a = gpu.tensor('f32', [1, 4], new Float32Array([1, 2, 3, 4]));
 * const w = gpu.tensor('f32', [2, 4], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
 * const out = gpu.tensor('f32', [1, 2]);
 * gpu.matmul({ out, a, b: w, transposeB: true });
 * console.log(await gpu.read(out), gpu.stats); // Float32Array [1, 2], { submits: 1, dispatches: 1, bindGroups: 1 }
 */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const acquired = await acquireDevice(options);
  return new WebGPUBackend(acquired, options, !options.device);
}

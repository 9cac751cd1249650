import type { DType, HostArray } from './dtype.js';
import { ShapeMismatchError } from './errors.js';
import type { Ops } from './ops.js';
import type { Tensor } from './tensor.js';

export type BackendName = 'reference' | 'wasm' | 'webgpu';

/** What a backend runs on, for logs, benchmarks and the demo's environment panel. */
export interface BackendInfo {
  name: BackendName;
  /** One line a person reads: "wasm relaxed-simd, 2 threads", "webgpu: SwiftShader Device (Vulkan)". */
  description: string;
  /** Backend-specific facts: adapter vendor/architecture, features, limits, SIMD variant, threads. */
  details: Record<string, unknown>;
}

/**
 * A place where tensors live and ops run. Ops are enqueued synchronously and in order;
 * `read` resolves once every op before it has finished (WebGPU submits its recorded command
 * buffer there, so a chain of ops costs one `queue.submit` per read-back).
 */
export interface Backend extends Ops {
  readonly name: BackendName;
  readonly info: BackendInfo;

  /**
   * Allocates a tensor; uploads `data` if given. Data layout per dtype: f32 Float32Array,
   * i32 Int32Array, f16/bf16 Uint16Array of raw bits, q8_0/q4_0 Uint8Array of GGUF blocks.
   */
  tensor(dtype: DType, shape: readonly number[], data?: ArrayBufferView): Tensor;
  /** Overwrites a tensor's contents (same layout as `tensor`). */
  write(tensor: Tensor, data: ArrayBufferView): void;
  /**
   * Optional: overwrites `data.byteLength` bytes of a tensor's contents from `byteOffset` on (same
   * layout as `tensor`), so a loader can stream a large weight in bounded pieces instead of holding
   * it whole in host memory. Backends whose storage is not one contiguous byte range leave it out.
   */
  writeBytes?(tensor: Tensor, byteOffset: number, data: ArrayBufferView): void;
  /**
   * Optional: copies a tensor into `target` (a host array of exactly its byte length), after all
   * previously enqueued ops, so a loop that reads every step (logits) reuses one array instead of
   * leaving one behind per step for the garbage collector. See `readInto` for the fallback.
   */
  readInto?(tensor: Tensor, target: ArrayBufferView): Promise<void>;
  /** Copies a tensor back to the host, after all previously enqueued ops. */
  read<D extends DType>(tensor: Tensor & { dtype: D }): Promise<HostArray<D>>;
  read(tensor: Tensor): Promise<HostArray>;
  /**
   * A view of `tensor` with another shape of the same element count (row-major, so `[T, H·D]` and
   * `[1, T, H, D]` are the same bytes): no copy, no dispatch; writes through either are seen by
   * both. The view dies with `tensor`; freeing the view releases nothing. WebGPU refuses to view a
   * tensor split over several storage bindings with another row length.
   */
  reshape(tensor: Tensor, shape: readonly number[]): Tensor;
  /** Releases a tensor's storage (a view's: nothing); using it afterwards throws `TensorStateError`. */
  free(tensor: Tensor): void;
  /** Waits until every enqueued op has finished (for timing). */
  sync(): Promise<void>;
  /** Frees everything and releases workers / the GPU device. */
  dispose(): void;
}

/** `backend.readInto` where the backend has it, else `read` and a copy. Returns `target`. */
export async function readInto<T extends ArrayBufferView>(backend: Backend, tensor: Tensor, target: T): Promise<T> {
  if (target.byteLength !== tensor.byteLength) {
    throw new ShapeMismatchError('readInto', 'target', `${tensor.byteLength} bytes for ${tensor}`, `${target.byteLength} bytes`);
  }
  if (backend.readInto) {
    await backend.readInto(tensor, target);
  } else {
    const data = await backend.read(tensor);
    new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return target;
}

import { byteLength, elementCount, type DType } from './dtype.js';
import { TensorStateError } from './errors.js';

/**
 * A tensor owned by one backend. Its storage (`handle`) is opaque outside that backend: a
 * Float32Array for the reference backend, an offset into linear memory for wasm, a GPUBuffer for WebGPU.
 * Row-major; shapes are listed outermost first (`[B, T, C]`).
 *
 * A view (`backend.reshape`) has its own shape over its `base`'s storage: it dies with the base,
 * and freeing it releases nothing.
 */
export class Tensor {
  readonly size: number;
  readonly byteLength: number;
  #freed = false;

  constructor(
    readonly backendName: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly handle: unknown,
    readonly base?: Tensor,
  ) {
    this.size = elementCount(shape);
    this.byteLength = byteLength(dtype, shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get freed(): boolean {
    return this.#freed || (this.base?.freed ?? false);
  }

  /** The tensor that owns this one's storage: its base for a view, else itself. */
  get storageOwner(): Tensor {
    return this.base ?? this;
  }

  markFreed(): void {
    this.#freed = true;
  }

  toString(): string {
    return `${this.dtype}[${this.shape.join(', ')}]`;
  }
}

export function assertLive(tensor: Tensor, backendName: string, op: string): void {
  // JavaScript callers can pass anything; `in` sees the getter on any copy of this class.
  if (typeof tensor !== 'object' || tensor === null || !('freed' in tensor)) {
    throw new TensorStateError(`${op}: a tensor argument is ${tensor === null ? 'null' : typeof tensor === 'object' ? 'an object that is not a Tensor' : String(tensor)}`, 'pass tensors made by backend.tensor() for every tensor field of the op');
  }
  if (tensor.freed) throw new TensorStateError(`${op}: tensor ${tensor} was used after free()`);
  if (tensor.backendName !== backendName) {
    throw new TensorStateError(
      `${op}: tensor ${tensor} belongs to backend "${tensor.backendName}", not "${backendName}"`,
      'read it back and upload it to this backend, or run the op on the backend that owns it',
    );
  }
}

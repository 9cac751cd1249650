import { ResourceLimitError, type Backend, type BackendName, type Tensor } from '@cria/kernels';
import { Activations } from './activations.js';
import type { ModelConfig } from './model-config.js';

/**
 * The element type of a KV cache. f16 halves its memory (llama.cpp's default) and costs one
 * rounding of each key and value as it is written; attention reads it back exactly.
 */
export type KvCacheType = 'f16' | 'f32';

/**
 * f16 where reading it is free: WebGPU widens f16 in the load (and the cache is GPU memory, the
 * scarcer kind). wasm has no f16 loads, so widening in software makes its decode attention 1.2–1.5×
 * slower (kernels bench, attention over 128–2048 keys; prefill widens each block once per tile of
 * query rows and runs at f32 speed): f32 there, since decode is what a chat waits on.
 */
export function defaultKvCacheType(backend: BackendName): KvCacheType {
  return backend === 'webgpu' ? 'f16' : 'f32';
}

/** Bytes of a cache of `capacity` positions. */
export function kvCacheBytes(config: ModelConfig, capacity: number, type: KvCacheType): number {
  return 2 * config.numLayers * capacity * config.numKvHeads * config.headDim * (type === 'f16' ? 2 : 4);
}

/**
 * Keys and values of one sequence, per layer, allocated once at full capacity and written in place
 * (`copy` at the token's position), with the token ids they were computed from. Keeping the ids
 * is what makes prefix reuse safe: a new prompt reuses exactly the positions whose ids match.
 * The sequence's forward activations live here too (see Activations), so whoever disposes the
 * cache frees them, and two sequences never share them.
 */
export class KvCache {
  readonly keys: Tensor[]; // per layer [1, S, KV, D]
  readonly values: Tensor[]; // per layer [1, S, KV, D]
  /** The ids at positions 0..length-1 (keys/values beyond are stale). */
  tokens: number[] = [];
  #activations: Activations | undefined;
  #disposed = false;

  constructor(
    private readonly backend: Backend,
    private readonly config: ModelConfig,
    readonly capacity: number,
    readonly type: KvCacheType = defaultKvCacheType(backend.info.name),
  ) {
    if (type !== 'f16' && type !== 'f32') throw new RangeError(`a KV cache holds f16 or f32 keys and values; got type ${JSON.stringify(type)}`);
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`a KV cache needs a positive whole number of positions; got ${capacity}`);
    const shape = [1, capacity, config.numKvHeads, config.headDim];
    // Attention binds each layer's keys and values whole: on WebGPU a layer's cache must fit one binding.
    const maxBindingBytes = (backend as { maxBindingBytes?: number }).maxBindingBytes;
    const layerBytes = kvCacheBytes(config, capacity, type) / (2 * config.numLayers);
    if (maxBindingBytes !== undefined && layerBytes > maxBindingBytes) {
      throw new ResourceLimitError(
        `one layer's keys take ${layerBytes} bytes, over the ${maxBindingBytes}-byte storage binding limit of this device`,
        'allocate fewer positions, or an f16 cache',
      );
    }
    this.keys = Array.from({ length: config.numLayers }, () => backend.tensor(type, shape));
    this.values = Array.from({ length: config.numLayers }, () => backend.tensor(type, shape));
  }

  /** Memory the keys and values take. */
  get bytes(): number {
    return kvCacheBytes(this.config, this.capacity, this.type);
  }

  get length(): number {
    return this.tokens.length;
  }

  /** Positions of `ids` that match the cache, from the start. */
  commonPrefixLength(ids: readonly number[]): number {
    const limit = Math.min(ids.length, this.tokens.length);
    let length = 0;
    while (length < limit && ids[length] === this.tokens[length]) length++;
    return length;
  }

  /** Forgets positions from `length` on (their storage is overwritten by the next forward). */
  truncate(length: number): void {
    this.tokens.length = Math.min(length, this.tokens.length);
  }

  /** The activations for a chunk of `tokens` positions: kept while chunks keep that length, else reallocated. */
  activations(tokens: number, biased: boolean): Activations {
    if (this.#disposed) throw new RangeError('this KV cache was disposed; create a new one with model.createCache()');
    if (this.#activations?.tokens !== tokens) {
      this.#activations?.dispose();
      this.#activations = undefined; // stays consistent if the allocation below throws
      this.#activations = new Activations(this.backend, this.config, tokens, biased);
    }
    return this.#activations;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#activations?.dispose();
    for (const tensor of [...this.keys, ...this.values]) if (!tensor.freed) this.backend.free(tensor);
  }
}

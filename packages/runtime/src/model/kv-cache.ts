import type { Backend, Tensor } from '@cria/kernels';
import { Activations } from './activations.js';
import type { ModelConfig } from './model-config.js';

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
  ) {
    const shape = [1, capacity, config.numKvHeads, config.headDim];
    this.keys = Array.from({ length: config.numLayers }, () => backend.tensor('f32', shape));
    this.values = Array.from({ length: config.numLayers }, () => backend.tensor('f32', shape));
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

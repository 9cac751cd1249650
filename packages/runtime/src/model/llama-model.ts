import { readInto, type Backend, type Tensor } from '@cria/kernels';
import type { LowRankAdapter, ModelWeights } from '../loading/upload-weights.js';
import type { Activations } from './activations.js';
import { KvCache, type KvCacheType } from './kv-cache.js';
import type { ModelConfig } from './model-config.js';

/** Longest run of tokens sent through the layers at once; longer prompts are prefilled in chunks. */
export const PREFILL_CHUNK = 256;

/**
 * The Llama-family forward (Llama 2/3, Mistral, Qwen2) on a kernels backend, nanoGPT-style: one
 * function, shapes at the line ends. T = new tokens, P = positions already in the cache, S = cache
 * capacity, C = hidden, H/KV = query/key-value heads, D = head dim, I = intermediate, V = vocab.
 *
 * The [T, H·D] matmul outputs are seen as the [1, T, H, D] tensors RoPE and attention take, and
 * back, through views (`backend.reshape`): nothing is copied between them.
 */
export class LlamaModel {
  readonly #inverseFrequencies: Float32Array | undefined;
  /** Whether any q/k/v projection has a bias (Qwen2): the activations then hold the pre-bias products. */
  readonly #biased: boolean;

  constructor(
    readonly backend: Backend,
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
  ) {
    // One array object for the model's lifetime: backends cache their copy of it by identity.
    this.#inverseFrequencies = config.inverseFrequencies;
    this.#biased = weights.layers.some((layer) => layer.qBias !== undefined || layer.kBias !== undefined || layer.vBias !== undefined);
  }

  /** A KV cache of `capacity` positions; its type defaults to the backend's (defaultKvCacheType). */
  createCache(capacity: number, type?: KvCacheType): KvCache {
    return new KvCache(this.backend, this.config, capacity, type);
  }

  /**
   * Runs `ids` at positions cache.length.. and appends them to the cache. Returns the logits of the
   * last position ([V]), or of every position ([T, V]) with `allLogits`.
   */
  async forward(ids: readonly number[], cache: KvCache, allLogits = false): Promise<Float32Array> {
    return this.#forward(ids, cache, allLogits, undefined);
  }

  /**
   * `forward` for the last position's logits, written into `logits` ([V]) and returned: a generation
   * loop that samples each step before the next reuses one array instead of leaving one [V] array
   * per token for the garbage collector (~25 MiB over 128 steps of a 49k vocabulary).
   */
  async forwardInto(ids: readonly number[], cache: KvCache, logits: Float32Array): Promise<Float32Array> {
    if (logits.length !== this.config.vocabSize) {
      throw new RangeError(`forwardInto needs a logits array of the vocabulary size ${this.config.vocabSize}; got ${logits.length}`);
    }
    return this.#forward(ids, cache, false, logits);
  }

  async #forward(ids: readonly number[], cache: KvCache, allLogits: boolean, into: Float32Array | undefined): Promise<Float32Array> {
    if (ids.length === 0) throw new RangeError('forward needs at least one token');
    // The embedding kernel maps an out-of-range id to a zero row (a GPU kernel cannot throw): refuse it here.
    const vocab = this.config.vocabSize;
    const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad >= 0) throw new RangeError(`ids[${bad}] = ${ids[bad]} is not a token id of this model (integers in [0, ${vocab}))`);
    if (cache.length + ids.length > cache.capacity) {
      throw new RangeError(`the KV cache holds ${cache.capacity} positions; ${cache.length} are used and ${ids.length} more were asked for`);
    }
    const parts: Float32Array[] = [];
    for (let begin = 0; begin < ids.length; begin += PREFILL_CHUNK) {
      const chunk = ids.slice(begin, begin + PREFILL_CHUNK);
      const last = begin + PREFILL_CHUNK >= ids.length;
      if (allLogits || last) parts.push(await this.#forwardChunk(chunk, cache, allLogits, true, into));
      else await this.#forwardChunk(chunk, cache, false, false, undefined);
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  async #forwardChunk(ids: readonly number[], cache: KvCache, allLogits: boolean, wantLogits: boolean, into: Float32Array | undefined): Promise<Float32Array> {
    const { backend, weights } = this;
    const { hiddenSize: C, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V, rmsNormEps: eps } = this.config;
    const T = ids.length;
    const P = cache.length;
    const a = cache.activations(T, this.#biased); // reused by every layer
    const rope = { theta: this.config.ropeTheta, style: this.config.ropeStyle, inverseFrequencies: this.#inverseFrequencies };
    backend.write(a.tokenIds, Int32Array.from(ids)); // [T]
    backend.write(a.positions, Int32Array.from({ length: T }, (_, t) => P + t)); // [1, T]
    backend.embedding({ out: a.residual, table: weights.embedding, ids: a.tokenIds }); // [T, C]
    backend.rmsnorm({ out: a.branch, x: a.residual, weight: weights.layers[0]!.attentionNorm, eps }); // [T, C]

    const L = this.config.numLayers;
    for (let layer = 0; layer < L; layer++) {
      const w = weights.layers[layer]!;
      // Attention block; a.branch holds rmsnorm(residual) with this layer's attention norm.
      this.#linear(a, a.queryRows, a.branch, w.q, w.qBias, a.queryUnbiased); // [T, H·D]
      this.#linear(a, a.keyRows, a.branch, w.k, w.kBias, a.kvUnbiased); // [T, KV·D]
      this.#linear(a, a.valueRows, a.branch, w.v, w.vBias, a.kvUnbiased); // [T, KV·D]
      // q and k rotated, k and v appended to the cache at positions P..P+T-1. The *Heads tensors
      // are views of the *Rows ones: [T, H·D] is [1, T, H, D].
      backend.ropeAppend({
        qOut: a.queryRotated, // [1, T, H, D]
        q: a.queryHeads,
        k: a.keyHeads, // [1, T, KV, D]
        v: a.valueHeads,
        keyCache: cache.keys[layer]!, // [1, S, KV, D]
        valueCache: cache.values[layer]!,
        start: P,
        positions: a.positions,
        ...rope,
      });
      // The output goes to queryHeads (q by heads is dead once rotated), so queryRows holds it as rows.
      backend.attention({ out: a.queryHeads, q: a.queryRotated, k: cache.keys[layer]!, v: cache.values[layer]!, kvLength: P + T, scale: 1 / Math.sqrt(D) });
      this.#linear(a, a.blockOutput, a.queryRows, w.o, undefined, undefined); // [T, C]
      backend.addRmsnorm({ residual: a.residual, x: a.blockOutput, out: a.branch, weight: w.ffnNorm, eps }); // [T, C]

      // MLP block (SwiGLU): the activation is fused into the up projection unless it has an adapter.
      this.#linear(a, a.gate, a.branch, w.gate, undefined, undefined); // [T, I]
      if (this.weights.adapters?.has(w.up)) {
        this.#linear(a, a.up, a.branch, w.up, undefined, undefined); // [T, I]
        backend.swiglu({ out: a.activated, gate: a.gate, up: a.up }); // [T, I]
      } else {
        backend.matmulSwiglu({ out: a.activated, a: a.branch, b: w.up, gate: a.gate }); // [T, I]
      }
      this.#linear(a, a.blockOutput, a.activated, w.down, undefined, undefined); // [T, C]
      // The residual add, then the next layer's attention norm, or after the last layer the final norm.
      const nextNorm = layer + 1 < L ? weights.layers[layer + 1]!.attentionNorm : weights.finalNorm;
      backend.addRmsnorm({ residual: a.residual, x: a.blockOutput, out: a.branch, weight: nextNorm, eps }); // [T, C]
    }
    cache.tokens.push(...ids);
    if (!wantLogits) {
      await backend.sync();
      return new Float32Array(0);
    }

    // a.branch holds every row through the final norm; only the wanted rows go through the output head.
    if (allLogits) {
      const logits = backend.tensor('f32', [T, V]); // [T, V]
      try {
        backend.matmul({ out: logits, a: a.branch, b: weights.lmHead, transposeB: true });
        return (await backend.read(logits)) as Float32Array;
      } finally {
        if (!logits.freed) backend.free(logits);
      }
    }
    let last = a.branch; // [1, C] when T = 1
    if (a.lastNormed) {
      last = a.lastNormed;
      backend.copy({ out: last, x: a.branch, xOffset: (T - 1) * C, count: C }); // [1, C]
    }
    backend.matmul({ out: a.logits, a: last, b: weights.lmHead, transposeB: true }); // [1, V]
    if (into) return readInto(backend, a.logits, into);
    return (await backend.read(a.logits)) as Float32Array;
  }

  /**
   * out = x · Wᵀ (+ b): HF and GGUF store linear weights as [out, in]. With a bias the product goes
   * to `unbiased` first (the ops take no output that aliases an input).
   */
  #linear(a: Activations, out: Tensor, x: Tensor, weight: Tensor, bias: Tensor | undefined, unbiased: Tensor | undefined): void {
    const product = bias ? unbiased! : out;
    const adapter = this.weights.adapters?.get(weight);
    if (adapter) this.#adapted(a, product, x, weight, adapter);
    else this.backend.matmul({ out: product, a: x, b: weight, transposeB: true });
    if (bias) this.backend.add({ out, a: product, b: bias });
  }

  /**
   * out = x · Wᵀ + (scaling · x · Aᵀ) · Bᵀ: an unmerged LoRA adapter (PEFT's lora.Linear), the base
   * weight untouched. The scaling is applied to the rank-r product, the smallest tensor on the way.
   */
  #adapted(activations: Activations, out: Tensor, x: Tensor, weight: Tensor, { a, b, scaling }: LowRankAdapter): void {
    const backend = this.backend;
    const { base, hidden, hiddenScaled, delta } = activations.loraBuffers(out.shape[1]!, a.shape[0]!);
    backend.matmul({ out: base, a: x, b: weight, transposeB: true }); // [T, out]
    backend.matmul({ out: hidden, a: x, b: a, transposeB: true }); // [T, r]
    backend.scale({ out: hiddenScaled, x: hidden, factor: scaling }); // [T, r]
    backend.matmul({ out: delta, a: hiddenScaled, b, transposeB: true }); // [T, out]
    backend.add({ out, a: base, b: delta }); // [T, out]
  }
}

import type { Backend, DType, Tensor } from '@cria/kernels';
import type { ModelWeights } from '../loading/upload-weights.js';
import { KvCache } from './kv-cache.js';
import type { ModelConfig } from './model-config.js';

/** Longest run of tokens sent through the layers at once; longer prompts are prefilled in chunks. */
export const PREFILL_CHUNK = 256;

/**
 * The Llama-family forward (Llama 2/3, Mistral, Qwen2) on a kernels backend, nanoGPT-style: one
 * function, shapes at the line ends. T = new tokens, P = positions already in the cache, S = cache
 * capacity, C = hidden, H/KV = query/key-value heads, D = head dim, I = intermediate, V = vocab.
 *
 * The kernels have no reshape, so `copy` (a contiguous element copy) moves [T, H·D] matmul outputs
 * into the [1, T, H, D] tensors RoPE and attention take, and back.
 */
export class LlamaModel {
  readonly #inverseFrequencies: Float32Array | undefined;

  constructor(
    readonly backend: Backend,
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
  ) {
    // One array object for the model's lifetime: backends cache their copy of it by identity.
    this.#inverseFrequencies = config.inverseFrequencies;
  }

  createCache(capacity: number): KvCache {
    return new KvCache(this.backend, this.config, capacity);
  }

  /**
   * Runs `ids` at positions cache.length.. and appends them to the cache. Returns the logits of the
   * last position ([V]), or of every position ([T, V]) with `allLogits`.
   */
  async forward(ids: readonly number[], cache: KvCache, allLogits = false): Promise<Float32Array> {
    if (ids.length === 0) throw new RangeError('forward needs at least one token');
    if (cache.length + ids.length > cache.capacity) {
      throw new RangeError(`the KV cache holds ${cache.capacity} positions; ${cache.length} are used and ${ids.length} more were asked for`);
    }
    const parts: Float32Array[] = [];
    for (let begin = 0; begin < ids.length; begin += PREFILL_CHUNK) {
      const chunk = ids.slice(begin, begin + PREFILL_CHUNK);
      const last = begin + PREFILL_CHUNK >= ids.length;
      if (allLogits || last) parts.push(await this.#forwardChunk(chunk, cache, allLogits));
      else await this.#forwardChunk(chunk, cache, false, false);
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

  async #forwardChunk(ids: readonly number[], cache: KvCache, allLogits: boolean, wantLogits = true): Promise<Float32Array> {
    const { backend, weights } = this;
    const { hiddenSize: C, intermediateSize: I, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V, rmsNormEps: eps } = this.config;
    const T = ids.length;
    const P = cache.length;
    const scratch: Tensor[] = [];
    const tensor = (dtype: DType, shape: number[], data?: ArrayBufferView) => {
      const t = backend.tensor(dtype, shape, data);
      scratch.push(t);
      return t;
    };
    const rope = { theta: this.config.ropeTheta, style: this.config.ropeStyle, inverseFrequencies: this.#inverseFrequencies };
    try {
      const tokenIds = tensor('i32', [T], Int32Array.from(ids)); // [T]
      const positions = tensor('i32', [1, T], Int32Array.from({ length: T }, (_, t) => P + t)); // [1, T]
      let x = tensor('f32', [T, C]); // [T, C]
      backend.embedding({ out: x, table: weights.embedding, ids: tokenIds });

      for (let layer = 0; layer < this.config.numLayers; layer++) {
        const w = weights.layers[layer]!;
        // Attention block.
        const h = tensor('f32', [T, C]); // [T, C]
        backend.rmsnorm({ out: h, x, weight: w.attentionNorm, eps });
        const q = this.#linear(tensor, h, w.q, w.qBias, [T, H * D]); // [T, H·D]
        const k = this.#linear(tensor, h, w.k, w.kBias, [T, KV * D]); // [T, KV·D]
        const v = this.#linear(tensor, h, w.v, w.vBias, [T, KV * D]); // [T, KV·D]
        const qHeads = tensor('f32', [1, T, H, D]); // [1, T, H, D]
        backend.copy({ out: qHeads, x: q });
        const kHeads = tensor('f32', [1, T, KV, D]); // [1, T, KV, D]
        backend.copy({ out: kHeads, x: k });
        const qRotated = tensor('f32', [1, T, H, D]); // [1, T, H, D]
        backend.rope({ out: qRotated, x: qHeads, positions, ...rope });
        const kRotated = tensor('f32', [1, T, KV, D]); // [1, T, KV, D]
        backend.rope({ out: kRotated, x: kHeads, positions, ...rope });
        // Append to the cache at positions P..P+T-1.
        backend.copy({ out: cache.keys[layer]!, x: kRotated, outOffset: P * KV * D }); // [1, S, KV, D]
        backend.copy({ out: cache.values[layer]!, x: v, outOffset: P * KV * D }); // [1, S, KV, D]
        const attended = tensor('f32', [1, T, H, D]); // [1, T, H, D]
        backend.attention({ out: attended, q: qRotated, k: cache.keys[layer]!, v: cache.values[layer]!, kvLength: P + T, scale: 1 / Math.sqrt(D) });
        const attendedRows = tensor('f32', [T, H * D]); // [T, H·D]
        backend.copy({ out: attendedRows, x: attended });
        const projected = this.#linear(tensor, attendedRows, w.o, undefined, [T, C]); // [T, C]
        const afterAttention = tensor('f32', [T, C]); // [T, C]
        backend.add({ out: afterAttention, a: x, b: projected });

        // MLP block (SwiGLU).
        const h2 = tensor('f32', [T, C]); // [T, C]
        backend.rmsnorm({ out: h2, x: afterAttention, weight: w.ffnNorm, eps });
        const gate = this.#linear(tensor, h2, w.gate, undefined, [T, I]); // [T, I]
        const up = this.#linear(tensor, h2, w.up, undefined, [T, I]); // [T, I]
        const activated = tensor('f32', [T, I]); // [T, I]
        backend.swiglu({ out: activated, gate, up });
        const down = this.#linear(tensor, activated, w.down, undefined, [T, C]); // [T, C]
        const next = tensor('f32', [T, C]); // [T, C]
        backend.add({ out: next, a: afterAttention, b: down });
        x = next;
      }
      cache.tokens.push(...ids);
      if (!wantLogits) {
        await backend.sync();
        return new Float32Array(0);
      }

      // Only the rows whose logits are wanted go through the final norm and the output head.
      const rows = allLogits ? T : 1;
      let last = x; // [rows, C]
      if (!allLogits) {
        last = tensor('f32', [1, C]); // [1, C]
        backend.copy({ out: last, x, xOffset: (T - 1) * C, count: C });
      }
      const normed = tensor('f32', [rows, C]); // [rows, C]
      backend.rmsnorm({ out: normed, x: last, weight: weights.finalNorm, eps });
      const logits = tensor('f32', [rows, V]); // [rows, V]
      backend.matmul({ out: logits, a: normed, b: weights.lmHead, transposeB: true });
      return (await backend.read(logits)) as Float32Array;
    } finally {
      for (const t of scratch) if (!t.freed) backend.free(t);
    }
  }

  /** y = x · Wᵀ (+ b): HF and GGUF store linear weights as [out, in]. */
  #linear(tensor: (dtype: DType, shape: number[]) => Tensor, x: Tensor, weight: Tensor, bias: Tensor | undefined, shape: number[]): Tensor {
    const out = tensor('f32', shape);
    this.backend.matmul({ out, a: x, b: weight, transposeB: true });
    if (!bias) return out;
    const biased = tensor('f32', shape);
    this.backend.add({ out: biased, a: out, b: bias });
    return biased;
  }
}

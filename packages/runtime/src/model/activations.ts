import type { Backend, Tensor } from '@cria/kernels';
import type { ModelConfig } from './model-config.js';

/** Temporaries of one unmerged LoRA linear (LlamaModel.#adapted): out = base + (scaling · x·Aᵀ)·Bᵀ. */
export interface LoraBuffers {
  base: Tensor; // [T, out]: x · Wᵀ
  hidden: Tensor; // [T, r]: x · Aᵀ
  hiddenScaled: Tensor; // [T, r]: scaling · hidden
  delta: Tensor; // [T, out]: hiddenScaled · Bᵀ
}

/**
 * The forward's intermediate tensors for a chunk of T tokens, allocated once and reused by every
 * layer and by every later chunk of the same length (each decode step is T = 1): the footprint is
 * one layer's worth, not one per layer, and a decode step allocates nothing. The residual stream
 * stays in `residual`, which `addRmsnorm` updates in place as it normalises it for the next block:
 *
 *   branch      ← rmsnorm(residual)                  (layer 0 only; h: q, k, v read it)
 *   blockOutput ← attendedRows · Woᵀ
 *   residual += blockOutput; branch ← rmsnorm(residual)   (h2: gate, up read it)
 *   blockOutput ← activated · Wdownᵀ
 *   residual += blockOutput; branch ← rmsnorm(residual)   (the next layer's h, or after the last
 *                                                         layer the final norm's output)
 *
 * q, k and v by heads are views of the matmul outputs (`backend.reshape`: same bytes, no copy), and so
 * is the attention output's row form of its [1, T, H, D] result.
 */
export class Activations {
  readonly tokenIds: Tensor; // [T] i32
  readonly positions: Tensor; // [1, T] i32
  readonly residual: Tensor; // [T, C]
  readonly branch: Tensor; // [T, C]
  readonly blockOutput: Tensor; // [T, C]: an attention or MLP block's output, before the residual add
  readonly queryRows: Tensor; // [T, H·D]: q, then the attention output as rows
  readonly queryHeads: Tensor; // [1, T, H, D]: a view of queryRows
  readonly queryRotated: Tensor; // [1, T, H, D]
  readonly keyRows: Tensor; // [T, KV·D]
  readonly valueRows: Tensor; // [T, KV·D]
  readonly keyHeads: Tensor; // [1, T, KV, D]: a view of keyRows
  readonly valueHeads: Tensor; // [1, T, KV, D]: a view of valueRows
  /** Matmul outputs before the bias is added (Qwen2's q/k/v biases); absent without biases. */
  readonly queryUnbiased: Tensor | undefined; // [T, H·D]
  readonly kvUnbiased: Tensor | undefined; // [T, KV·D]
  readonly gate: Tensor; // [T, I]
  readonly activated: Tensor; // [T, I]: silu(gate) · up
  /** The last position's normalised hidden state, when T > 1 (for T = 1 it is `branch` itself). */
  readonly lastNormed: Tensor | undefined; // [1, C]
  readonly logits: Tensor; // [1, V]
  readonly #all: Tensor[] = [];
  readonly #lora = new Map<string, LoraBuffers>();
  #up: Tensor | undefined;
  readonly #intermediateSize: number;
  #disposed = false;

  constructor(
    private readonly backend: Backend,
    config: ModelConfig,
    readonly tokens: number,
    biased: boolean,
  ) {
    const { hiddenSize: C, intermediateSize: I, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V } = config;
    this.#intermediateSize = I;
    const T = tokens;
    const tensor = (dtype: 'f32' | 'i32', shape: number[]) => this.#tensor(dtype, shape);
    try {
      this.tokenIds = tensor('i32', [T]);
      this.positions = tensor('i32', [1, T]);
      this.residual = tensor('f32', [T, C]);
      this.branch = tensor('f32', [T, C]);
      this.blockOutput = tensor('f32', [T, C]);
      this.queryRows = tensor('f32', [T, H * D]);
      this.queryHeads = backend.reshape(this.queryRows, [1, T, H, D]);
      this.queryRotated = tensor('f32', [1, T, H, D]);
      this.keyRows = tensor('f32', [T, KV * D]);
      this.valueRows = tensor('f32', [T, KV * D]);
      this.keyHeads = backend.reshape(this.keyRows, [1, T, KV, D]);
      this.valueHeads = backend.reshape(this.valueRows, [1, T, KV, D]);
      this.queryUnbiased = biased ? tensor('f32', [T, H * D]) : undefined;
      this.kvUnbiased = biased ? tensor('f32', [T, KV * D]) : undefined;
      this.gate = tensor('f32', [T, I]);
      this.activated = tensor('f32', [T, I]);
      this.lastNormed = T > 1 ? tensor('f32', [1, C]) : undefined;
      this.logits = tensor('f32', [1, V]);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /**
   * The up projection on its own, [T, I]: only an up projection with a LoRA adapter needs it (the
   * plain one is fused with the activation, `matmulSwiglu`), so it is made on first use.
   */
  get up(): Tensor {
    this.#up ??= this.#tensor('f32', [this.tokens, this.#intermediateSize]);
    return this.#up;
  }

  /**
   * The LoRA temporaries for a linear with `outputs` outputs and rank `rank`, made on first use and
   * shared by every adapted linear of that shape (they run one after another).
   */
  loraBuffers(outputs: number, rank: number): LoraBuffers {
    const key = `${outputs}x${rank}`;
    let buffers = this.#lora.get(key);
    if (!buffers) {
      const T = this.tokens;
      buffers = {
        base: this.#tensor('f32', [T, outputs]),
        hidden: this.#tensor('f32', [T, rank]),
        hiddenScaled: this.#tensor('f32', [T, rank]),
        delta: this.#tensor('f32', [T, outputs]),
      };
      this.#lora.set(key, buffers);
    }
    return buffers;
  }

  #tensor(dtype: 'f32' | 'i32', shape: number[]): Tensor {
    const t = this.backend.tensor(dtype, shape);
    this.#all.push(t);
    return t;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of this.#all) if (!t.freed) this.backend.free(t);
  }
}

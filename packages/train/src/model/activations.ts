import type { ModelConfig } from '@cria/runtime';
import type { Tensor, TrainingBackend } from '@cria/kernels';

/** What the forward of one layer saves for its backward (llm.c's ActivationTensors, per layer). */
export interface LayerActivations {
  input: Tensor; // [N, C] the residual stream entering the layer
  attentionNormed: Tensor; // [N, C]
  qRows: Tensor; // [N, H·D]
  kRows: Tensor; // [N, KV·D]
  vRows: Tensor; // [N, KV·D]
  qHeads: Tensor; // [B, T, H, D]
  kHeads: Tensor; // [B, T, KV, D]
  vHeads: Tensor; // [B, T, KV, D]
  qRotated: Tensor; // [B, T, H, D]
  kRotated: Tensor; // [B, T, KV, D]
  attended: Tensor; // [B, T, H, D]
  logsumexp: Tensor; // [B, H, T]
  attendedRows: Tensor; // [N, H·D]
  middle: Tensor; // [N, C] the residual stream after attention
  ffnNormed: Tensor; // [N, C]
  gate: Tensor; // [N, I]
  up: Tensor; // [N, I]
  activated: Tensor; // [N, I]
}

/** Gradients of activations: one set reused by every layer (zeroed before each use, since backward ops accumulate). */
export interface ActivationGradients {
  logits: Tensor; // [N, V]
  residual: Tensor; // [N, C]
  middle: Tensor; // [N, C]
  normed: Tensor; // [N, C]
  activated: Tensor; // [N, I]
  gate: Tensor; // [N, I]
  up: Tensor; // [N, I]
  attendedRows: Tensor; // [N, H·D]
  attended: Tensor; // [B, T, H, D]
  qRotated: Tensor; // [B, T, H, D]
  kRotated: Tensor; // [B, T, KV, D]
  vHeads: Tensor; // [B, T, KV, D]
  qHeads: Tensor; // [B, T, H, D]
  kHeads: Tensor; // [B, T, KV, D]
  qRows: Tensor; // [N, H·D]
  kRows: Tensor; // [N, KV·D]
  vRows: Tensor; // [N, KV·D]
}

/**
 * Every tensor one forward + backward of a [B, T] batch needs, allocated once per batch shape and
 * reused across steps (allocation is slow on WebGPU and fragments wasm memory). Memory is
 * dominated by the L saved layers: about N · (10·C + 4·I + 6·H·D) floats each, plus N · V for the logits.
 */
export class Activations {
  readonly N: number;
  readonly ids: Tensor; // i32 [N]
  readonly targets: Tensor; // i32 [N]
  readonly positions: Tensor; // i32 [B, T]
  readonly segmentIds: Tensor; // i32 [B, T]
  readonly layers: LayerActivations[];
  readonly finalInput: Tensor; // [N, C] the residual stream after the last layer
  readonly finalNormed: Tensor; // [N, C]
  readonly logits: Tensor; // [N, V]
  readonly loss: Tensor; // [1]
  readonly gradients: ActivationGradients;
  /** Per-shape scratch for values consumed by the very next op (a matmul product before its bias add, an o/down projection). */
  readonly #scratch = new Map<string, Tensor>();
  readonly #all: Tensor[] = [];

  constructor(
    readonly backend: TrainingBackend,
    config: ModelConfig,
    readonly B: number,
    readonly T: number,
  ) {
    const { hiddenSize: C, intermediateSize: I, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V, numLayers: L } = config;
    const N = (this.N = B * T);
    const f32 = (...shape: number[]) => this.#tensor('f32', shape);
    this.ids = this.#tensor('i32', [N]);
    this.targets = this.#tensor('i32', [N]);
    this.positions = this.#tensor('i32', [B, T]);
    this.segmentIds = this.#tensor('i32', [B, T]);
    const layer = (input: Tensor): LayerActivations => ({
      input,
      attentionNormed: f32(N, C),
      qRows: f32(N, H * D),
      kRows: f32(N, KV * D),
      vRows: f32(N, KV * D),
      qHeads: f32(B, T, H, D),
      kHeads: f32(B, T, KV, D),
      vHeads: f32(B, T, KV, D),
      qRotated: f32(B, T, H, D),
      kRotated: f32(B, T, KV, D),
      attended: f32(B, T, H, D),
      logsumexp: f32(B, H, T),
      attendedRows: f32(N, H * D),
      middle: f32(N, C),
      ffnNormed: f32(N, C),
      gate: f32(N, I),
      up: f32(N, I),
      activated: f32(N, I),
    });
    this.layers = [];
    let input = f32(N, C);
    for (let index = 0; index < L; index++) {
      this.layers.push(layer(input));
      input = f32(N, C);
    }
    this.finalInput = input;
    this.finalNormed = f32(N, C);
    this.logits = f32(N, V);
    this.loss = f32(1);
    this.gradients = {
      logits: f32(N, V),
      residual: f32(N, C),
      middle: f32(N, C),
      normed: f32(N, C),
      activated: f32(N, I),
      gate: f32(N, I),
      up: f32(N, I),
      attendedRows: f32(N, H * D),
      attended: f32(B, T, H, D),
      qRotated: f32(B, T, H, D),
      kRotated: f32(B, T, KV, D),
      vHeads: f32(B, T, KV, D),
      qHeads: f32(B, T, H, D),
      kHeads: f32(B, T, KV, D),
      qRows: f32(N, H * D),
      kRows: f32(N, KV * D),
      vRows: f32(N, KV * D),
    };
  }

  /** A tensor of `shape` shared by every caller asking for that shape; valid until the next op that uses it. */
  readonly scratch = (shape: number[]): Tensor => {
    const key = shape.join('x');
    let tensor = this.#scratch.get(key);
    if (!tensor) {
      tensor = this.#tensor('f32', shape);
      this.#scratch.set(key, tensor);
    }
    return tensor;
  };

  zero(...tensors: Tensor[]): void {
    for (const tensor of tensors) this.backend.fill({ out: tensor, value: 0 });
  }

  dispose(): void {
    for (const tensor of this.#all) if (!tensor.freed) this.backend.free(tensor);
    this.#all.length = 0;
    this.#scratch.clear();
  }

  #tensor(dtype: 'f32' | 'i32', shape: number[]): Tensor {
    const tensor = this.backend.tensor(dtype, shape);
    this.#all.push(tensor);
    return tensor;
  }
}

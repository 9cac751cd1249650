import type { ModelConfig } from '@cria/runtime';
import type { Tensor, TrainingBackend } from '@cria/kernels';

/** What the forward of one layer saves for its backward (llm.c's ActivationTensors, per layer). */
export interface LayerActivations {
  input: Tensor; // [N, C] the residual stream entering the layer
  attentionNormed: Tensor; // [N, C]
  qRows: Tensor; // [N, H·D]
  kRows: Tensor; // [N, KV·D]
  vRows: Tensor; // [N, KV·D]
  qHeads: Tensor; // [B, T, H, D]: a view of qRows
  kHeads: Tensor; // [B, T, KV, D]: a view of kRows
  vHeads: Tensor; // [B, T, KV, D]: a view of vRows
  qRotated: Tensor; // [B, T, H, D]
  kRotated: Tensor; // [B, T, KV, D]
  attended: Tensor; // [B, T, H, D]
  logsumexp: Tensor; // [B, H, T]
  attendedRows: Tensor; // [N, H·D]: a view of attended
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
  attended: Tensor; // [B, T, H, D]: a view of attendedRows
  qRotated: Tensor; // [B, T, H, D]
  kRotated: Tensor; // [B, T, KV, D]
  vHeads: Tensor; // [B, T, KV, D]
  qHeads: Tensor; // [B, T, H, D]
  kHeads: Tensor; // [B, T, KV, D]
  qRows: Tensor; // [N, H·D]: a view of qHeads
  kRows: Tensor; // [N, KV·D]: a view of kHeads
  vRows: Tensor; // [N, KV·D]: a view of vHeads
}

/**
 * Every tensor one forward + backward of a [B, T] batch needs, allocated once per batch shape and
 * reused across steps (allocation is slow on WebGPU and fragments wasm memory). Memory is
 * dominated by the L saved layers: N · (4·C + 3·I + 3·H·D + 3·KV·D) floats each (plus B·H·T), plus N · V
 * for the logits. The [N, H·D] and [B, T, H, D] forms of one value are views of one tensor
 * (`backend.reshape`), not copies.
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
    const view = (tensor: Tensor, ...shape: number[]) => backend.reshape(tensor, shape);
    const layer = (input: Tensor): LayerActivations => {
      const qRows = f32(N, H * D);
      const kRows = f32(N, KV * D);
      const vRows = f32(N, KV * D);
      const attended = f32(B, T, H, D);
      return {
        input,
        attentionNormed: f32(N, C),
        qRows,
        kRows,
        vRows,
        qHeads: view(qRows, B, T, H, D),
        kHeads: view(kRows, B, T, KV, D),
        vHeads: view(vRows, B, T, KV, D),
        qRotated: f32(B, T, H, D),
        kRotated: f32(B, T, KV, D),
        attended,
        logsumexp: f32(B, H, T),
        attendedRows: view(attended, N, H * D),
        middle: f32(N, C),
        ffnNormed: f32(N, C),
        gate: f32(N, I),
        up: f32(N, I),
        activated: f32(N, I),
      };
    };
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
    const attendedRows = f32(N, H * D);
    const vHeads = f32(B, T, KV, D);
    const qHeads = f32(B, T, H, D);
    const kHeads = f32(B, T, KV, D);
    this.gradients = {
      logits: f32(N, V),
      residual: f32(N, C),
      middle: f32(N, C),
      normed: f32(N, C),
      activated: f32(N, I),
      gate: f32(N, I),
      up: f32(N, I),
      attendedRows,
      attended: view(attendedRows, B, T, H, D),
      qRotated: f32(B, T, H, D),
      kRotated: f32(B, T, KV, D),
      vHeads,
      qHeads,
      kHeads,
      qRows: view(qHeads, N, H * D),
      kRows: view(kHeads, N, KV * D),
      vRows: view(vHeads, N, KV * D),
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

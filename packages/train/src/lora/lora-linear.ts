import type { Tensor, TrainingBackend } from '@cria/kernels';
import { SeededRandom } from '@cria/runtime';
import type { Parameter } from '../parameters/parameter-store.js';
import type { LinearLayer } from '../model/linear.js';

/** The dropout stream shared by a model's LoRA layers: masks are a function of (seed, layer, forward count), so a checkpoint needs only the count. */
export class LoraDropout {
  /** Training forwards so far (the masks of the next one use this count). */
  forwardCount = 0;
  constructor(
    readonly probability: number,
    readonly seed: number,
  ) {}

  /** 0 or 1 / (1 − p) per element (inverted dropout, as torch.nn.Dropout), for layer `index` in the current forward. */
  mask(index: number, size: number): Float32Array {
    const random = new SeededRandom(mixSeeds(this.seed, index, this.forwardCount));
    const keep = 1 / (1 - this.probability);
    return Float32Array.from({ length: size }, () => (random.uniform() < this.probability ? 0 : keep));
  }
}

function mixSeeds(seed: number, index: number, count: number): number {
  let hash = (seed ^ 0x9e3779b9) >>> 0;
  for (const value of [index, count]) hash = Math.imul(hash ^ value, 0x85ebca6b) ^ (Math.imul(hash, 0xc2b2ae35) >>> 13);
  return hash >>> 0;
}

interface Saved {
  rows: number;
  hidden: Tensor; // [N, r]
  adapted: Tensor; // [N, out] = hidden · Bᵀ
  scaled: Tensor; // [N, out] = scaling · adapted
  base: Tensor; // [N, out] = x · Wᵀ (+ b)
  dropped: Tensor | undefined; // [N, in] = x ⊙ mask
  mask: Tensor | undefined; // [N, in]
  dHidden: Tensor; // [N, r]
  dAdapted: Tensor; // [N, out]
  dDropped: Tensor | undefined; // [N, in]
}

/**
 * y = x·Wᵀ (+ b) + scaling · dropout(x)·Aᵀ·Bᵀ over a frozen base W [out, in] (f32, or Q8_0/Q4_0 for
 * QLoRA). Only A [r, in] and B [out, r] have gradients.
 *
 * The input gradient dx = dy·W reads the quantized base as stored (`matmulBackward` decodes its
 * blocks in the kernel, as the forward does): a QLoRA layer holds no f32 copy of W, only the
 * adapters and the per-batch-shape activations below.
 */
export class LoraLinear implements LinearLayer {
  #saved: Saved | undefined;
  /** What the last forward fed A: x, or x ⊙ mask in a training forward with dropout. */
  #droppedInput: Tensor | undefined;

  constructor(
    readonly backend: TrainingBackend,
    readonly weight: Parameter, // frozen [out, in]
    readonly bias: Parameter | undefined, // frozen [out]
    readonly a: Parameter, // [r, in]
    readonly b: Parameter, // [out, r]
    readonly scaling: number,
    readonly dropout: LoraDropout | undefined,
    readonly index: number,
  ) {}

  get outFeatures(): number {
    return this.weight.value.shape[0]!;
  }

  get inFeatures(): number {
    return this.weight.value.shape[1]!;
  }

  forward(out: Tensor, x: Tensor, scratch: (shape: number[]) => Tensor, training = false): void {
    const { backend } = this;
    const s = this.#savedFor(x.shape[0]!);
    // `out` may itself be the model's [N, out] scratch (o and down projections): the base goes to our own tensor.
    if (this.bias) {
      const product = scratch([s.rows, this.outFeatures]);
      backend.matmul({ out: product, a: x, b: this.weight.value, transposeB: true });
      backend.add({ out: s.base, a: product, b: this.bias.value });
    } else {
      backend.matmul({ out: s.base, a: x, b: this.weight.value, transposeB: true });
    }
    let input = x;
    if (this.dropout && training) {
      backend.write(s.mask!, this.dropout.mask(this.index, s.rows * this.inFeatures));
      backend.mul({ out: s.dropped!, a: x, b: s.mask! });
      input = s.dropped!;
    }
    this.#droppedInput = input;
    backend.matmul({ out: s.hidden, a: input, b: this.a.value, transposeB: true }); // [N, r]
    backend.matmul({ out: s.adapted, a: s.hidden, b: this.b.value, transposeB: true }); // [N, out]
    backend.scale({ out: s.scaled, x: s.adapted, factor: this.scaling });
    backend.add({ out, a: s.base, b: s.scaled });
  }

  backward(dx: Tensor | undefined, dout: Tensor, x: Tensor): void {
    const { backend } = this;
    const s = this.#savedFor(x.shape[0]!);
    if (dx) backend.matmulBackward({ da: dx, dout, a: x, b: this.weight.value, transposeB: true }); // [N, in] += [N, out] · W [out, in]
    if (this.bias?.grad) backend.addBackward({ db: this.bias.grad, dout });
    backend.scale({ out: s.dAdapted, x: dout, factor: this.scaling });
    backend.fill({ out: s.dHidden, value: 0 });
    backend.matmulBackward({ da: s.dHidden, db: this.b.grad, dout: s.dAdapted, a: s.hidden, b: this.b.value, transposeB: true });
    const input = this.#droppedInput ?? x;
    if (input === x) {
      backend.matmulBackward({ da: dx, db: this.a.grad, dout: s.dHidden, a: x, b: this.a.value, transposeB: true });
      return;
    }
    // Through the dropout: dx += d(dropped) ⊙ mask.
    backend.fill({ out: s.dDropped!, value: 0 });
    backend.matmulBackward({ da: dx ? s.dDropped : undefined, db: this.a.grad, dout: s.dHidden, a: input, b: this.a.value, transposeB: true });
    if (dx) backend.mulBackward({ da: dx, dout: s.dDropped!, a: s.dropped!, b: s.mask! });
  }

  /** Frees the per-batch-shape tensors. */
  dispose(): void {
    this.#release();
  }

  #savedFor(rows: number): Saved {
    if (this.#saved?.rows === rows) return this.#saved;
    this.#release();
    const f32 = (...shape: number[]) => this.backend.tensor('f32', shape);
    const [r, out, inFeatures] = [this.a.value.shape[0]!, this.outFeatures, this.inFeatures];
    const withDropout = this.dropout !== undefined;
    return (this.#saved = {
      rows,
      hidden: f32(rows, r),
      adapted: f32(rows, out),
      scaled: f32(rows, out),
      base: f32(rows, out),
      dropped: withDropout ? f32(rows, inFeatures) : undefined,
      mask: withDropout ? f32(rows, inFeatures) : undefined,
      dHidden: f32(rows, r),
      dAdapted: f32(rows, out),
      dDropped: withDropout ? f32(rows, inFeatures) : undefined,
    });
  }

  #release(): void {
    if (!this.#saved) return;
    for (const tensor of Object.values(this.#saved)) if (typeof tensor === 'object' && tensor && !tensor.freed) this.backend.free(tensor);
    this.#saved = undefined;
    this.#droppedInput = undefined;
  }
}

import type { Tensor, TrainingBackend } from '@cria/kernels';
import type { Parameter } from '../parameters/parameter-store.js';

/**
 * y = x · Wᵀ (+ b), W stored [out, in] as in Hugging Face and GGUF. The model only speaks to this
 * interface, so a LoRA layer (y = x · Wᵀ + (α/r) · (x · Aᵀ) · Bᵀ over a frozen W) can replace it
 * without touching the model's forward or backward.
 */
export interface LinearLayer {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  /**
   * out [rows, out] = x [rows, in] · Wᵀ (+ b). `scratch` allocates tensors that live as long as the
   * activations; `training` is false for evaluation (no dropout).
   */
  forward(out: Tensor, x: Tensor, scratch: (shape: number[]) => Tensor, training?: boolean): void;
  /** dx += dout · W (when dx is given); dW += doutᵀ · x and db += Σ_rows dout for trainable parameters. */
  backward(dx: Tensor | undefined, dout: Tensor, x: Tensor): void;
  /** Frees what the layer allocated itself (not its parameters, which the store owns). */
  dispose?(): void;
}

export class DenseLinear implements LinearLayer {
  constructor(
    readonly backend: TrainingBackend,
    /** A frozen weight may be stored f16/bf16/Q8_0/Q4_0: dx = dout · W reads it as stored. */
    readonly weight: Parameter,
    readonly bias: Parameter | undefined,
  ) {}

  forward(out: Tensor, x: Tensor, scratch: (shape: number[]) => Tensor): void {
    if (!this.bias) {
      this.backend.matmul({ out, a: x, b: this.weight.value, transposeB: true });
      return;
    }
    // add's out may not alias an input: the unbiased product goes to a scratch tensor first.
    const product = scratch([...out.shape]);
    this.backend.matmul({ out: product, a: x, b: this.weight.value, transposeB: true });
    this.backend.add({ out, a: product, b: this.bias.value });
  }

  backward(dx: Tensor | undefined, dout: Tensor, x: Tensor): void {
    const dweight = this.weight.grad;
    if (dx || dweight) this.backend.matmulBackward({ da: dx, db: dweight, dout, a: x, b: this.weight.value, transposeB: true });
    if (this.bias?.grad) this.backend.addBackward({ db: this.bias.grad, dout });
  }
}

import type { Tensor, TrainingBackend } from '@cria/kernels';
import type { Parameter } from '../parameters/parameter-store.js';
import { TrainingInputError } from '../errors.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled (Loshchilov & Hutter), applied only to parameters with `decay` (rank ≥ 2: not norms, not biases). */
  weightDecay?: number;
  /** Global-norm clipping threshold (PyTorch clip_grad_norm_); Infinity disables clipping. */
  maxGradNorm?: number;
}

export interface StepResult {
  /** The global L2 norm of the gradients before clipping (what HF logs as grad_norm). */
  gradNorm: number;
}

/**
 * AdamW over a set of parameters with the fused `adamw` kernel. Clipping needs no host round trip:
 * `sumOfSquares` writes ‖g‖² on the device and every `adamw` reads it; the norm is read back only to
 * report it. Moments are f32 tensors of the parameters' shapes, zero before step 1.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  readonly #moments = new Map<Parameter, { m: Tensor; v: Tensor }>();
  readonly #sumOfSquares: Tensor;
  /** Optimizer steps taken (the bias corrections use step + 1 next). */
  step = 0;

  constructor(
    readonly backend: TrainingBackend,
    readonly parameters: readonly Parameter[],
    options: AdamWOptions = {},
  ) {
    const average = (x: number) => x >= 0 && x < 1;
    this.beta1 = numberOption('beta1', options.beta1, 0.9, average, 'an exponential average weight in [0, 1)');
    this.beta2 = numberOption('beta2', options.beta2, 0.999, average, 'an exponential average weight in [0, 1)');
    this.eps = numberOption('eps', options.eps, 1e-8, (x) => x > 0 && x < Infinity, 'a positive number (1e-8 is usual)');
    this.weightDecay = numberOption('weightDecay', options.weightDecay, 0, (x) => x >= 0 && x < Infinity, 'a non-negative number (0.01 is usual; 0 turns it off)');
    this.maxGradNorm = numberOption('maxGradNorm', options.maxGradNorm, Infinity, (x) => x > 0, 'a positive number, or Infinity for no clipping');
    for (const parameter of parameters) {
      if (!parameter.grad) continue;
      const m = backend.tensor('f32', parameter.value.shape);
      const v = backend.tensor('f32', parameter.value.shape);
      backend.fill({ out: m, value: 0 });
      backend.fill({ out: v, value: 0 });
      this.#moments.set(parameter, { m, v });
    }
    this.#sumOfSquares = backend.tensor('f32', [1]);
  }

  /** Applies one update with `learningRate` to every trainable parameter; returns the pre-clip grad norm. */
  async update(learningRate: number): Promise<StepResult> {
    const { backend } = this;
    const trainable = [...this.#moments.keys()];
    backend.sumOfSquares({ out: this.#sumOfSquares, tensors: trainable.map((parameter) => parameter.grad!) });
    this.step++;
    const clip = Number.isFinite(this.maxGradNorm) ? { sumOfSquares: this.#sumOfSquares, maxNorm: this.maxGradNorm } : undefined;
    for (const [parameter, { m, v }] of this.#moments) {
      backend.adamw({
        params: parameter.value,
        grads: parameter.grad!,
        m,
        v,
        learningRate,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: parameter.decay ? this.weightDecay : 0,
        step: this.step,
        clip,
      });
    }
    const squared = ((await backend.read(this.#sumOfSquares)) as Float32Array)[0]!;
    return { gradNorm: Math.sqrt(squared) };
  }

  /** The moments by parameter name, for checkpoints. */
  async readState(): Promise<Map<string, { m: Float32Array; v: Float32Array }>> {
    const state = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [parameter, { m, v }] of this.#moments) {
      state.set(parameter.name, { m: (await this.backend.read(m)) as Float32Array, v: (await this.backend.read(v)) as Float32Array });
    }
    return state;
  }

  /** Restores moments and the step count saved by `readState` (resuming from a checkpoint). */
  writeState(state: ReadonlyMap<string, { m: Float32Array; v: Float32Array }>, step: number): void {
    for (const [parameter, { m, v }] of this.#moments) {
      const saved = state.get(parameter.name);
      if (!saved) throw new TrainingInputError(parameter.name, 'optimizer moments in the checkpoint', 'none', 'the checkpoint is from another model or from a run with other trainable parameters');
      this.backend.write(m, saved.m);
      this.backend.write(v, saved.v);
    }
    this.step = step;
  }

  /** Restores one parameter's moments (a resume reads a checkpoint tensor by tensor); set `step` too. */
  writeMoments(name: string, m: Float32Array, v: Float32Array): void {
    const moments = [...this.#moments].find(([parameter]) => parameter.name === name)?.[1];
    if (!moments) throw new TrainingInputError(name, 'a parameter this optimizer updates', 'none', 'the checkpoint is from another model or from a run with other trainable parameters');
    this.backend.write(moments.m, m);
    this.backend.write(moments.v, v);
  }

  dispose(): void {
    for (const { m, v } of this.#moments.values()) {
      this.backend.free(m);
      this.backend.free(v);
    }
    this.#moments.clear();
    this.backend.free(this.#sumOfSquares);
  }
}

/**
 * An optimizer option or its default, refused with a TrainingInputError when it is not a number
 * `valid` accepts: a NaN or a string would otherwise reach the kernel and turn every weight into NaN.
 */
function numberOption(name: string, value: unknown, fallback: number, valid: (value: number) => boolean, expected: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !valid(value)) throw new TrainingInputError(name, expected, JSON.stringify(value) ?? String(value), 'see AdamWOptions for what each option does');
  return value;
}

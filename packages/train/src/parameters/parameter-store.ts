import type { Tensor } from '@cria/kernels';
import type { TrainingBackend } from '@cria/kernels';
import { TrainingInputError } from '../errors.js';

/**
 * One named tensor of the model. A trainable parameter owns an f32 gradient of its shape; a frozen
 * one (a LoRA base weight, possibly quantized) has none, and the backward skips its weight gradient
 * while still propagating through it. Optimizer state lives in the optimizer, not here, so the same
 * store serves full fine-tuning, LoRA (adapters trainable, base frozen) and no-grad inference.
 */
export interface Parameter {
  /** The Hugging Face tensor name (`model.layers.0.self_attn.q_proj.weight`). */
  readonly name: string;
  readonly value: Tensor;
  /** Present iff trainable. Accumulates (+=) across micro-batches until `zeroGradients`. */
  readonly grad: Tensor | undefined;
  /**
   * AdamW's decoupled weight decay applies to it. Hugging Face's Trainer decays every weight except
   * biases and norm weights (`get_decay_parameter_names`); the store follows that: decay iff rank ≥ 2.
   */
  readonly decay: boolean;
}

export interface AddParameterOptions {
  trainable?: boolean;
  /** Default: rank ≥ 2. */
  decay?: boolean;
}

/** Every parameter of a model on one backend, by name, in creation order. */
export class ParameterStore {
  readonly #byName = new Map<string, Parameter>();

  constructor(readonly backend: TrainingBackend) {}

  /** Uploads `data` (f32, or any kernel dtype for a frozen weight) as a new parameter. */
  add(name: string, shape: readonly number[], data: ArrayBufferView, options: AddParameterOptions = {}): Parameter {
    if (this.#byName.has(name)) throw new TrainingInputError(name, 'a new parameter name', 'a name already in the store', 'give every parameter a unique name');
    const trainable = options.trainable ?? true;
    const value = this.backend.tensor(trainable ? 'f32' : dtypeOf(data), shape, data);
    const grad = trainable ? this.backend.tensor('f32', shape) : undefined;
    if (grad) this.backend.fill({ out: grad, value: 0 });
    const parameter: Parameter = { name, value, grad, decay: options.decay ?? shape.length >= 2 };
    this.#byName.set(name, parameter);
    return parameter;
  }

  get(name: string): Parameter {
    const parameter = this.#byName.get(name);
    if (!parameter) throw new TrainingInputError('parameter name', `one of ${this.#byName.size} model parameters`, `'${name}'`, 'use the Hugging Face tensor names (model.layers.N.…)');
    return parameter;
  }

  get all(): readonly Parameter[] {
    return [...this.#byName.values()];
  }

  get trainable(): readonly Parameter[] {
    return this.all.filter((parameter) => parameter.grad !== undefined);
  }

  /** Elements over all parameters (trainable and frozen). */
  get count(): number {
    return this.all.reduce((sum, parameter) => sum + parameter.value.size, 0);
  }

  zeroGradients(): void {
    for (const parameter of this.trainable) this.backend.fill({ out: parameter.grad!, value: 0 });
  }

  /** Overwrites a parameter's values (same shape, f32). */
  write(name: string, data: Float32Array): void {
    const parameter = this.get(name);
    if (data.length !== parameter.value.size) {
      throw new TrainingInputError(name, `${parameter.value.size} values (${parameter.value})`, `${data.length}`, 'the checkpoint belongs to a model of another size');
    }
    this.backend.write(parameter.value, data);
  }

  /** Every parameter's values, read back to the host (for checkpoints and export). */
  async readAll(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const parameter of this.all) out.set(parameter.name, (await this.backend.read(parameter.value)) as Float32Array);
    return out;
  }

  dispose(): void {
    for (const parameter of this.all) {
      if (!parameter.value.freed) this.backend.free(parameter.value);
      if (parameter.grad && !parameter.grad.freed) this.backend.free(parameter.grad);
    }
    this.#byName.clear();
  }
}

function dtypeOf(data: ArrayBufferView) {
  if (data instanceof Float32Array) return 'f32' as const;
  throw new TrainingInputError('frozen parameter data', 'a Float32Array', data.constructor.name, 'frozen quantized bases come with LoRA; upload f32 for now');
}

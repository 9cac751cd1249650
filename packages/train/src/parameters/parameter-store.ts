import { dequantizeQ4_0, dequantizeQ8_0, fromBf16, fromF16, type DType, type Tensor } from '@cria/kernels';
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
  /**
   * The stored dtype of a frozen parameter, `data` in the kernels' host layout (Q8_0/Q4_0 GGUF block
   * bytes, F16/BF16 bits). Default f32. Trainable parameters are always f32.
   */
  dtype?: DType;
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
    const dtype = options.dtype ?? 'f32';
    if (trainable && dtype !== 'f32') throw new TrainingInputError(name, 'an f32 trainable parameter', `${dtype}`, 'train in f32; only frozen (LoRA base) weights may be quantized');
    if (dtype === 'f32' && !(data instanceof Float32Array)) throw new TrainingInputError(name, 'a Float32Array', data.constructor.name, 'pass f32 values, or set options.dtype for a frozen quantized weight');
    const value = this.backend.tensor(dtype, shape, data);
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

  /** One parameter's values as f32 on the host; a quantized or half-precision frozen weight is dequantized. */
  async readFloat32(name: string): Promise<Float32Array> {
    const { value } = this.get(name);
    const data = await this.backend.read(value);
    switch (value.dtype) {
      case 'f32':
        return data as Float32Array;
      case 'f16':
        return fromF16(data as Uint16Array);
      case 'bf16':
        return fromBf16(data as Uint16Array);
      case 'q8_0':
        return dequantizeQ8_0(data as Uint8Array, value.size);
      case 'q4_0':
        return dequantizeQ4_0(data as Uint8Array, value.size);
      default:
        throw new TrainingInputError(name, 'a floating-point or Q8_0/Q4_0 parameter', value.dtype, 'parameters are f32, f16, bf16, q8_0 or q4_0');
    }
  }

  /** Parameters' values as f32 on the host, by name (default: all), for checkpoints and export. */
  async readAll(names: readonly string[] = this.all.map((parameter) => parameter.name)): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const name of names) out.set(name, await this.readFloat32(name));
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

import type { TrainingBackend } from '@cria/kernels';
import { SeededRandom } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';
import { DenseLinear, type LinearLayer } from '../model/linear.js';
import type { Parameter, ParameterStore } from '../parameters/parameter-store.js';
import { LoraDropout, LoraLinear } from './lora-linear.js';
import { LORA_MODULES, initialLoraA, resolveLoraOptions, type LoraOptions, type ResolvedLoraOptions } from './lora-options.js';

/** The store names of a module's adapter: `<module>.lora_A.weight` [r, in] and `<module>.lora_B.weight` [out, r] (PEFT's, without `base_model.model.`). */
export const loraNames = (module: string) => ({ a: `${module}.lora_A.weight`, b: `${module}.lora_B.weight` });

/**
 * The LoRA adapters of one model: decides which linear layers get one, adds their A and B to the
 * parameter store (A Kaiming-uniform, B zero, as PEFT; or given values when loading an adapter) and
 * owns the dropout stream. Initialisation draws A in module order from one stream seeded by `seed`.
 */
export class LoraAdapters {
  readonly options: ResolvedLoraOptions;
  readonly dropout: LoraDropout | undefined;
  /** By module path (`model.layers.0.self_attn.q_proj`), in creation order. */
  readonly layers = new Map<string, LoraLinear>();
  readonly #random: SeededRandom;

  constructor(
    readonly backend: TrainingBackend,
    readonly store: ParameterStore,
    options: LoraOptions,
    /** Adapter values by store name (`<module>.lora_A.weight`); default: a fresh PEFT initialisation. */
    readonly initial: ReadonlyMap<string, Float32Array> | undefined = undefined,
  ) {
    this.options = resolveLoraOptions(options);
    this.dropout = this.options.dropout > 0 ? new LoraDropout(this.options.dropout, this.options.seed) : undefined;
    this.#random = new SeededRandom(this.options.seed);
  }

  /** The module paths LoRA adapts for a layer index. */
  targetModules(layer: number): string[] {
    return this.options.targets.map((target) => `model.layers.${layer}.${LORA_MODULES[target]}`);
  }

  /** A LoRA layer when `module` is a target, else a dense layer over the (frozen) base. */
  linear(module: string, weight: Parameter, bias: Parameter | undefined): LinearLayer {
    const targeted = this.options.targets.some((target) => module.endsWith(`.${LORA_MODULES[target]}`));
    if (!targeted) return new DenseLinear(this.backend, weight, bias);
    const [out, inFeatures] = weight.value.shape as [number, number];
    const { rank } = this.options;
    const names = loraNames(module);
    const a = this.store.add(names.a, [rank, inFeatures], this.#initialValue(names.a, rank * inFeatures) ?? initialLoraA(rank, inFeatures, this.#random));
    const b = this.store.add(names.b, [out, rank], this.#initialValue(names.b, out * rank) ?? new Float32Array(out * rank));
    const layer = new LoraLinear(this.backend, weight, bias, a, b, this.options.scaling, this.dropout, this.layers.size);
    this.layers.set(module, layer);
    return layer;
  }

  dispose(): void {
    for (const layer of this.layers.values()) layer.dispose();
    this.layers.clear();
  }

  #initialValue(name: string, size: number): Float32Array | undefined {
    if (!this.initial) return undefined;
    const value = this.initial.get(name);
    if (!value) throw new TrainingInputError(name, 'an adapter tensor for every targeted module', 'nothing', 'the adapter was trained with other target modules or on another model; check adapter_config.json');
    if (value.length !== size) throw new TrainingInputError(name, `${size} values`, String(value.length), 'the adapter has another rank or belongs to a model of another size');
    return value;
  }
}

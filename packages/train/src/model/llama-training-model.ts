import { supportsTraining, type Backend, type TrainingBackend } from '@cria/kernels';
import type { LoadProgress, ModelConfig } from '@cria/runtime';
import { TrainingInputError, TrainingNotSupportedError } from '../errors.js';
import { ParameterStore, type Parameter } from '../parameters/parameter-store.js';
import { LoraAdapters } from '../lora/lora-adapters.js';
import type { LoraOptions } from '../lora/lora-options.js';
import type { TrainingWeightSource } from '../loading/weight-source.js';
import { Activations } from './activations.js';
import { DenseLinear, type LinearLayer } from './linear.js';
import { addLlamaParameter, addLlamaParameters, initialLlamaTensors, loadLlamaParameters, type AddLlamaParametersOptions, type InitializeOptions } from './llama-parameters.js';
import { checkBatch, defaultPositions, type TrainingBatch } from './training-batch.js';
import { TransformerLayer } from './transformer-layer.js';

export interface ForwardOptions {
  /**
   * d(objective)/d(loss) when a backward follows: the loss gradient is computed in the same pass
   * as the loss (fused cross-entropy). 1 / micro-batches under gradient accumulation. Omit for
   * evaluation (no gradient work at all).
   */
  gradientScale?: number;
}

export interface ModelOptions {
  /** Adds LoRA adapters to the target linear layers and freezes every base parameter. */
  lora?: LoraOptions;
  /**
   * With `lora` only: stores the base's linear weights as Q8_0/Q4_0 (QLoRA). Default f32. The
   * backward reads them as stored: no f32 copy of the base is kept on the backend. With `load`,
   * pass the source's `quantizedBase` to keep a quantized file's own blocks.
   */
  baseDtype?: 'f32' | 'q8_0' | 'q4_0';
  /** With `lora` only: adapter values by store name (`<module>.lora_A.weight`), e.g. a loaded PEFT adapter. */
  adapter?: ReadonlyMap<string, Float32Array>;
}

export interface LoadOptions extends ModelOptions {
  /** Called after each tensor is on the backend (phase 'upload'; bytes as the source stores them). */
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

/** How the store keeps the weights: a LoRA base is frozen, and its linear weights in `baseDtype`. */
const intakeOptions = (options: ModelOptions): AddLlamaParametersOptions => (options.lora ? { trainable: false, linearDtype: options.baseDtype } : {});

/**
 * The Llama-family model (Llama 2/3, Mistral, Qwen2) for training, llm.c style: explicit forward and
 * backward passes over saved activations, no tape. embedding → L × TransformerLayer → final rmsnorm
 * → lm_head (tied or untied) → cross-entropy with ignored targets. N = B·T rows.
 *
 * `forward` then `backward` enqueue work on the backend without reading anything back; `readLoss`
 * is the one host round trip. Gradients accumulate into the parameters until `zeroGradients`.
 */
export class LlamaTrainingModel {
  readonly layers: TransformerLayer[];
  readonly embedding: Parameter;
  readonly finalNorm: Parameter;
  /** The embedding parameter itself when tied. */
  readonly lmHead: Parameter;
  #activations: Activations | undefined;
  #lastForward: { segmented: boolean; withGradient: boolean } | undefined;
  readonly #linears: LinearLayer[] = [];

  private constructor(
    readonly backend: TrainingBackend,
    readonly config: ModelConfig,
    readonly parameters: ParameterStore,
    /** Present for a LoRA model: its adapters (the trainable parameters) over a frozen base. */
    readonly lora: LoraAdapters | undefined,
  ) {
    const get = (name: string) => parameters.get(name);
    const linear = (name: string, bias = false) => {
      const [weight, biasParameter] = [get(`${name}.weight`), bias ? get(`${name}.bias`) : undefined];
      const layer = lora ? lora.linear(name, weight, biasParameter) : new DenseLinear(backend, weight, biasParameter);
      this.#linears.push(layer);
      return layer;
    };
    this.embedding = get('model.embed_tokens.weight');
    this.finalNorm = get('model.norm.weight');
    this.lmHead = config.tieWordEmbeddings ? this.embedding : get('lm_head.weight');
    this.layers = Array.from({ length: config.numLayers }, (_, index) => {
      const p = `model.layers.${index}.`;
      return new TransformerLayer(backend, config, {
        attentionNorm: get(p + 'input_layernorm.weight'),
        q: linear(p + 'self_attn.q_proj', config.attentionBias),
        k: linear(p + 'self_attn.k_proj', config.attentionBias),
        v: linear(p + 'self_attn.v_proj', config.attentionBias),
        o: linear(p + 'self_attn.o_proj'),
        ffnNorm: get(p + 'post_attention_layernorm.weight'),
        gate: linear(p + 'mlp.gate_proj'),
        up: linear(p + 'mlp.up_proj'),
        down: linear(p + 'mlp.down_proj'),
      });
    });
  }

  /**
   * A model pulled from a weight source one tensor at a time (a GGUF, a Hugging Face checkpoint: see
   * `TrainingWeightSource`): each tensor is uploaded and dropped before the next is read, so host
   * memory holds about one tensor. Every parameter trainable (f32), or with `options.lora` a frozen
   * base with trainable adapters; with `baseDtype` 'q8_0'/'q4_0' too, linear weights the file stores
   * in that dtype are uploaded as its own blocks (no f32 round trip), others quantized one by one.
   * The source is closed, whether the load succeeds or not.
   */
  static async load(backend: Backend, source: TrainingWeightSource, options: LoadOptions = {}): Promise<LlamaTrainingModel> {
    try {
      const store = LlamaTrainingModel.#newStore(backend, options);
      try {
        await loadLlamaParameters(store, source, { ...intakeOptions(options), onProgress: options.onProgress, signal: options.signal });
      } catch (error) {
        store.dispose();
        throw error;
      }
      return LlamaTrainingModel.#withAdapters(source.config, store, options);
    } finally {
      await source.close();
    }
  }

  /**
   * A model from host weights in Hugging Face names (all of them in memory: small models, tests,
   * `mergedWeights`): every parameter trainable (f32), or with `options.lora` a frozen (optionally
   * quantized) base with trainable LoRA adapters.
   */
  static fromWeights(backend: Backend, config: ModelConfig, weights: ReadonlyMap<string, Float32Array>, options: ModelOptions = {}): LlamaTrainingModel {
    const store = LlamaTrainingModel.#newStore(backend, options);
    try {
      addLlamaParameters(store, config, weights, intakeOptions(options));
    } catch (error) {
      store.dispose();
      throw error;
    }
    return LlamaTrainingModel.#withAdapters(config, store, options);
  }

  /**
   * A freshly initialised model (HF Llama init: N(0, 0.02²) weights, unit norms, zero biases),
   * seeded; each tensor is drawn, uploaded and dropped in turn. `options` as for `fromWeights`
   * (a fresh frozen base with adapters: benchmarks, tests).
   */
  static initialize(backend: Backend, config: ModelConfig, init: InitializeOptions, options: ModelOptions = {}): LlamaTrainingModel {
    const store = LlamaTrainingModel.#newStore(backend, options);
    try {
      for (const [spec, values] of initialLlamaTensors(config, init)) addLlamaParameter(store, spec, { dtype: 'f32', data: values }, intakeOptions(options));
    } catch (error) {
      store.dispose();
      throw error;
    }
    return LlamaTrainingModel.#withAdapters(config, store, options);
  }

  static #newStore(backend: Backend, options: ModelOptions): ParameterStore {
    if (!supportsTraining(backend)) throw new TrainingNotSupportedError(backend.name);
    if (!options.lora && (options.baseDtype ?? 'f32') !== 'f32') {
      throw new TrainingInputError('baseDtype', "'f32' without LoRA", options.baseDtype!, 'a quantized base can only be frozen: pass lora options too (QLoRA)');
    }
    return new ParameterStore(backend);
  }

  /** The model over a filled store; the store (and adapters) are freed if the adapters cannot be built. */
  static #withAdapters(config: ModelConfig, store: ParameterStore, options: ModelOptions): LlamaTrainingModel {
    let lora: LoraAdapters | undefined;
    try {
      lora = options.lora ? new LoraAdapters(store.backend, store, options.lora, options.adapter) : undefined;
      return new LlamaTrainingModel(store.backend, config, store, lora);
    } catch (error) {
      lora?.dispose();
      store.dispose();
      throw error;
    }
  }

  /** Enqueues the forward over `batch` (and the fused loss gradient when `gradientScale` is given). */
  forward(batch: TrainingBatch, options: ForwardOptions = {}): void {
    const { backend, config } = this;
    checkBatch(batch, config.vocabSize);
    const { batchSize: B, sequenceLength: T } = batch;
    const a = this.#activationsFor(B, T);
    backend.write(a.ids, batch.ids);
    backend.write(a.targets, batch.targets);
    backend.write(a.positions, batch.positions ?? defaultPositions(B, T));
    const segmented = batch.segmentIds !== undefined;
    if (batch.segmentIds) backend.write(a.segmentIds, batch.segmentIds);

    backend.embedding({ out: a.layers[0]?.input ?? a.finalInput, table: this.embedding.value, ids: a.ids }); // [N, C]
    const withGradient = options.gradientScale !== undefined;
    this.layers.forEach((layer, index) => layer.forward(a.layers[index + 1]?.input ?? a.finalInput, a.layers[index]!, a, segmented, withGradient));
    if (withGradient && this.lora?.dropout) this.lora.dropout.forwardCount++;
    backend.rmsnorm({ out: a.finalNormed, x: a.finalInput, weight: this.finalNorm.value, eps: config.rmsNormEps }); // [N, C]
    backend.matmul({ out: a.logits, a: a.finalNormed, b: this.lmHead.value, transposeB: true }); // [N, V]
    if (withGradient) a.zero(a.gradients.logits);
    backend.crossEntropy({
      loss: a.loss, // [1]
      dlogits: withGradient ? a.gradients.logits : undefined, // [N, V]
      logits: a.logits,
      targets: a.targets,
      dloss: options.gradientScale ?? 1,
    });
    this.#lastForward = { segmented, withGradient };
  }

  /** Enqueues the backward of the last forward, accumulating into every trainable parameter's gradient. */
  backward(): void {
    const a = this.#activations;
    if (!a || !this.#lastForward?.withGradient) {
      throw new TrainingInputError('backward', 'a forward with a gradientScale first', 'no such forward', 'call model.forward(batch, { gradientScale: 1 }) before backward()');
    }
    const { backend, config } = this;
    const g = a.gradients;
    a.zero(g.normed, g.residual);
    backend.matmulBackward({ da: g.normed, db: this.lmHead.grad, dout: g.logits, a: a.finalNormed, b: this.lmHead.value, transposeB: true });
    backend.rmsnormBackward({ dx: g.residual, dweight: this.finalNorm.grad, dout: g.normed, x: a.finalInput, weight: this.finalNorm.value, eps: config.rmsNormEps });
    for (let index = this.layers.length - 1; index >= 0; index--) this.layers[index]!.backward(a.layers[index]!, a, this.#lastForward.segmented);
    if (this.embedding.grad) backend.embeddingBackward({ dtable: this.embedding.grad, dout: g.residual, ids: a.ids });
    this.#lastForward = { ...this.#lastForward, withGradient: false };
  }

  /** The mean cross-entropy of the last forward over its counted targets (0 when none count). */
  async readLoss(): Promise<number> {
    if (!this.#activations) throw new TrainingInputError('readLoss', 'a forward first', 'no forward', 'call model.forward(batch) first');
    return ((await this.backend.read(this.#activations.loss)) as Float32Array)[0]!;
  }

  /** The logits of the last forward, [B·T, V] row-major. */
  async readLogits(): Promise<Float32Array> {
    if (!this.#activations) throw new TrainingInputError('readLogits', 'a forward first', 'no forward', 'call model.forward(batch) first');
    return (await this.backend.read(this.#activations.logits)) as Float32Array;
  }

  zeroGradients(): void {
    this.parameters.zeroGradients();
  }

  /** Frees the saved activations (they are reallocated by the next forward). */
  releaseActivations(): void {
    this.#activations?.dispose();
    this.#activations = undefined;
  }

  dispose(): void {
    this.releaseActivations();
    for (const layer of this.#linears) layer.dispose?.();
    this.parameters.dispose();
  }

  #activationsFor(B: number, T: number): Activations {
    if (this.#activations && this.#activations.B === B && this.#activations.T === T) return this.#activations;
    this.releaseActivations();
    return (this.#activations = new Activations(this.backend, this.config, B, T));
  }
}

import type { ModelConfig } from '@cria/runtime';
import type { ParameterSpec } from '../model/llama-parameters.js';

/** The quantized dtypes a frozen (QLoRA) base can keep: GGUF Q8_0/Q4_0 blocks, the kernels' layout. */
export type QuantizedBaseDtype = 'q8_0' | 'q4_0';

/**
 * One parameter as a source hands it over, in Hugging Face layout (llama.cpp's q/k row permutation
 * already undone): f32 values, or the stored Q8_0/Q4_0 blocks when the caller asked for that dtype
 * and the file holds exactly it.
 */
export type SourceTensor = { dtype: 'f32'; data: Float32Array } | { dtype: QuantizedBaseDtype; data: Uint8Array };

export interface ReadTensorOptions {
  /** Hand the tensor over as these blocks, without an f32 round trip, when the file stores exactly them; else f32. */
  blocks?: QuantizedBaseDtype;
}

/**
 * Where a training model's weights come from, one tensor at a time: `LlamaTrainingModel.load` asks
 * for each parameter of `llamaParameterSpecs(config)` in order, uploads it and drops it, so host
 * memory holds about one tensor whatever the model's size. Opening a source reads only headers and
 * checks every tensor's name and shape, so a wrong file fails before anything is uploaded.
 *
 * Sources: `openGgufWeights` (any @cria/runtime ByteSource: a file, a Blob, an HTTP URL) and
 * `openGgufWeightsFile`, `openPretrainedWeights` (a Hugging Face directory) and `safetensorsWeightSource`
 * (any opened safetensors reader). A model from scratch needs none: `LlamaTrainingModel.initialize`
 * draws each tensor as it uploads it.
 */
export interface TrainingWeightSource {
  /** The file or directory, for messages. */
  readonly name: string;
  /** In the training model's (Hugging Face) conventions. */
  readonly config: ModelConfig;
  /**
   * 'q8_0' or 'q4_0' when every linear weight of the layers is stored so: pass it as `baseDtype`
   * with `lora` to keep the file's own blocks as the frozen base (QLoRA). Undefined otherwise.
   */
  readonly quantizedBase: QuantizedBaseDtype | undefined;
  /** Bytes a parameter takes in the file (for progress). */
  storedBytes(name: string): number;
  /** One parameter of `llamaParameterSpecs(config)`: a fresh array the caller owns. */
  read(spec: ParameterSpec, options?: ReadTensorOptions): Promise<SourceTensor>;
  /** Releases the file(s). Idempotent; `LlamaTrainingModel.load` closes the source it read. */
  close(): Promise<void>;
}

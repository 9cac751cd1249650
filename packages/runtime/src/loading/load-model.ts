import type { Backend } from '@cria/kernels';
import type { Tokenizer } from '@cria/tokenizer';
import type { LoadProgress } from '../engine/api-types.js';
import { LlamaModel } from '../model/llama-model.js';
import { expectedTensors } from '../model/weight-names.js';
import type { ModelConfig } from '../model/model-config.js';
import type { ModelLocation } from './model-location.js';
import { openModel } from './open-model.js';
import { uploadWeights } from './upload-weights.js';

export interface LoadedModel {
  id: string;
  model: LlamaModel;
  tokenizer: Tokenizer;
}

export interface LoadModelOptions {
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  /** Called with the config once the model is opened, before any weight is read: throw to refuse it early. */
  checkConfig?: (config: ModelConfig) => void;
}

/**
 * Opens a model (directory, .gguf or URL), checks every tensor against its config and streams the
 * weights onto `backend` one tensor at a time. The reader is closed once the weights are up.
 */
export async function loadModel(location: string | ModelLocation, backend: Backend, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const opened = await openModel(location);
  try {
    options.checkConfig?.(opened.config);
    const names = expectedTensors(opened.config, opened.format);
    const weights = await uploadWeights(backend, opened.reader, names, { file: opened.file, ...options });
    return { id: opened.id, model: new LlamaModel(backend, opened.config, weights), tokenizer: opened.tokenizer };
  } finally {
    await opened.reader.close();
  }
}

// @cria/runtime: model files → weights on a kernels backend → Llama-family forward → sampler → text,
// behind an OpenAI-shaped engine.
export * from './formats/index.js';

export { createEngine, DEFAULT_CONTEXT_LENGTH } from './engine/create-engine.js';
export type * from './engine/api-types.js';
export * from './engine/engine-errors.js';

export { loadModel, type LoadedModel, type LoadModelOptions } from './loading/load-model.js';
export { openModel, type OpenModel } from './loading/open-model.js';
export { LlamaModel, PREFILL_CHUNK } from './model/llama-model.js';
export { KvCache, defaultKvCacheType, kvCacheBytes, type KvCacheType } from './model/kv-cache.js';
export { configFromGguf, configFromHf, ModelConfigError, SUPPORTED_ARCHITECTURES, type ModelConfig, type SupportedArchitecture } from './model/model-config.js';
export { llama3InverseFrequencies, type Llama3RopeScaling } from './model/rope-scaling.js';
export { Sampler, type SamplerOptions, type SampledToken, type TokenChoice } from './sampling/sampler.js';

export type { ModelLocation } from './loading/model-location.js';
export { browserModelLocation, isBrowserModelSource, namedBlobs, type BrowserModelSource, type BrowserLocationOptions, type NamedBlob } from './loading/browser/browser-model-location.js';
export { downloadFile, defaultModelCache, MODEL_CACHE_NAME, type CacheLike, type DownloadOptions } from './loading/browser/cached-download.js';
export { sha256Hex, type Sha256Options } from './loading/browser/sha256-blob.js';
export { DownloadError, IntegrityError } from './loading/browser/download-errors.js';
export { createWorkerEngine, type WorkerEngine, type WorkerEngineOptions } from './worker/create-worker-engine.js';
export { serveEngine } from './worker/serve-engine.js';
export type { MessageEndpoint, WorkerCreateOptions } from './worker/worker-protocol.js';
// Driving a LlamaModel over weights someone else owns (@cria/train samples from the model it trains).
export type { LayerWeights, LowRankAdapter, ModelWeights } from './loading/upload-weights.js';
export { generate, type GenerationEvent, type GenerationInput } from './generation/generate.js';
export { modelStopTokens } from './generation/stop-tokens.js';

// @cria/train: a Llama-family forward and backward on the Cria kernels (llm.c style: explicit
// forward/backward pairs over saved activations), AdamW with schedules and global-norm clipping.
export * from './errors.js';
export { ParameterStore, type AddParameterOptions, type Parameter } from './parameters/parameter-store.js';
export { DenseLinear, type LinearLayer } from './model/linear.js';
export { initialLlamaTensors, initialLlamaWeights, llamaParameterSpecs, type InitializeOptions, type ParameterSpec } from './model/llama-parameters.js';
export { initializeOptionsFromHfConfig } from './model/llama-parameters.js';
export { LlamaTrainingModel, type ForwardOptions, type LoadOptions, type ModelOptions } from './model/llama-training-model.js';
export { IGNORE_INDEX, countedTargets, type TrainingBatch } from './model/training-batch.js';
export { AdamW, type AdamWOptions, type StepResult } from './optim/adamw-optimizer.js';
export { learningRateAt, type LearningRateSchedule } from './optim/lr-schedule.js';
export { Trainer, type StepReport, type TrainerOptions } from './trainer.js';
export { parseTrainingJsonl, tokenizeExample, type TokenizedExample, type TrainingExample } from './data/training-example.js';
export { packExamples, type PackedDataset, type PackedRow, type PackingOptions } from './data/packing.js';
export { describeOverlong, NothingToLearnError, OVERLONG_POLICIES, type OverlongFixNames, type OverlongPolicy, type PackingStats } from './data/packing-stats.js';
export { DataLoader, type DataLoaderOptions, type DataPosition } from './data/data-loader.js';
export { CHECKPOINT_MAGIC, CHECKPOINT_VERSION, CheckpointError, loadCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint/checkpoint.js';
export { writeFileAtomic } from './checkpoint/atomic-write.js';
export type { QuantizedBaseDtype, ReadTensorOptions, SourceTensor, TrainingWeightSource } from './loading/weight-source.js';
export { encodeModelSafetensors, openPretrainedWeights, safetensorsWeightSource } from './loading/pretrained-weights.js';
export { openGgufWeights, openGgufWeightsFile } from './loading/gguf-weights.js';
export { unpermuteInterleavedRope } from './loading/rope-unpermute.js';
export { readAllWeights } from './loading/read-all-weights.js';
export { LORA_MODULES, LORA_TARGETS, initialLoraA, parseLoraTargets, resolveLoraOptions, type LoraOptions, type LoraTarget, type ResolvedLoraOptions } from './lora/lora-options.js';
export { LoraAdapters, loraNames } from './lora/lora-adapters.js';
export { LoraDropout, LoraLinear } from './lora/lora-linear.js';
export { mergeLoraWeight, mergedWeights } from './lora/merge-lora.js';
export { hfConfigJson } from './export/hf-config.js';
export { encodeWeightsSafetensors, exportHfModel, type HfExportDtype, type HfExportOptions } from './export/hf-export.js';
export { GGUF_EXPORT_TYPES, encodeModelGguf, exportGguf, ggufTensorName, type GgufExportOptions, type GgufExportType } from './export/gguf-export.js';
export { ggufTokenizerMetadata, type GgufTokenizerOptions } from './export/gguf-tokenizer.js';
export {
  PEFT_CONFIG_FILE, PEFT_PREFIX, PEFT_WEIGHTS_FILE, encodePeftAdapter, exportPeftAdapter, loadPeftAdapter, parsePeftAdapter,
  type PeftAdapter, type PeftAdapterConfig,
} from './export/peft-adapter.js';
export { runFineTune, type FineTuneControls } from './worker/run-fine-tune.js';
export { FINE_TUNE_DEFAULTS, type FineTuneEvent, type FineTuneJob, type FineTuneResult } from './worker/fine-tune-job.js';
export { readTrainingModel, type TrainingModelSource } from './worker/training-model-source.js';
export { createWorkerTrainer, type FineTuneCallOptions, type TrainingRun, type WorkerTrainer } from './worker/create-worker-trainer.js';
export { serveTrainer } from './worker/serve-trainer.js';
export { TrainerBusyError, TrainerUnavailableError } from './worker/trainer-errors.js';
export type { TrainerPageMessage, TrainerWorkerMessage } from './worker/worker-protocol.js';
export { generateText, type GenerateTextOptions, type GeneratedText } from './generation/generate-text.js';
export { trainingModelWeights } from './generation/training-model-weights.js';

import type { BackendChoice } from '@cria/kernels';
import type { BrowserModelSource, LoadProgress, NamedBlob } from '@cria/runtime';
import type { OverlongPolicy, PackingStats } from '../data/packing-stats.js';
import type { HfExportDtype } from '../export/hf-export.js';
import type { LoraOptions } from '../lora/lora-options.js';

/**
 * One fine-tuning run, as the page posts it to the training worker (structured-cloneable: no
 * functions, no signals). The same object drives `runFineTune` directly in Node.
 */
export interface FineTuneJob {
  /** A Hugging Face model folder: a path (Node), a URL, or a BrowserModelSource (`{ url }`, `{ files }`). */
  model: string | BrowserModelSource;
  /** JSONL: `{"prompt", "completion"}` or `{"messages": […]}` per line. */
  dataset: string;
  /** LoRA adapters over a frozen base; absent = full fine-tuning (every weight trains). */
  lora?: LoraOptions;
  /** Default 3. */
  epochs?: number;
  /** Peak learning rate of the warmup + cosine schedule. Default 1e-3 (full) or 1e-2 (LoRA). */
  learningRate?: number;
  /** Rows per step; lowered to the number of packed rows when the dataset is smaller. Default 4. */
  batchSize?: number;
  /** Tokens per packed row. Default 128. */
  sequenceLength?: number;
  /**
   * Samples longer than `sequenceLength`: 'drop' (default) or 'truncate' (keeps their start, cuts
   * their end-of-turn token). Reported either way in the 'started' event's `packing`.
   */
  overlong?: OverlongPolicy;
  /** Default 'auto': WebGPU on a hardware adapter, else wasm. */
  backend?: BackendChoice;
  /** Default: 10 % of the steps, at most 10. */
  warmupSteps?: number;
  /** Default 0. */
  weightDecay?: number;
  /** Global-norm clipping. Default 1. */
  maxGradNorm?: number;
  /** Share of the examples held out for the evaluation loss (0 = none, the default). */
  evalFraction?: number;
  /** Evaluate every N steps (and after the last). Default: a tenth of the run. */
  evalEvery?: number;
  /** Seeds the data order, the held-out split and LoRA's initialisation. Default 1. */
  seed?: number;
  /** The exported model.safetensors' dtype. Default 'F32'. */
  exportDtype?: HfExportDtype;
  /**
   * Sampled greedily from the weights being trained at every evaluation point (every `evalEvery`
   * steps and after the last), as a 'sample' event: a user turn for chat data, raw text for
   * prompt/completion data.
   */
  samplePrompt?: string;
  /** Tokens a sample may have. Default 48. */
  sampleTokens?: number;
}

/** What a run reports while it goes, in order: loading…, started, (step | eval | sample)…, exporting. */
export type FineTuneEvent =
  | { type: 'loading'; progress: LoadProgress }
  | {
      type: 'started';
      /** The backend's own description (`wasm relaxed-simd, 2 threads`, the WebGPU adapter …). */
      backend: string;
      /** Why 'auto' or the requested backend was not used, when it was not. */
      fallback?: string;
      totalSteps: number;
      trainRows: number;
      evalRows: number;
      batchSize: number;
      sequenceLength: number;
      parameters: number;
      trainableParameters: number;
      /**
       * What packing did to each split: over-long samples dropped or truncated, tokens lost. Show
       * `describeOverlong(packing.train)` when it returns a warning.
       */
      packing: { train: PackingStats; evaluation?: PackingStats };
    }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; learningRate: number; gradNorm: number; tokensPerSecond: number; elapsedSeconds: number }
  | { type: 'eval'; step: number; loss: number }
  | { type: 'sample'; step: number; prompt: string; text: string }
  | { type: 'exporting' };

export interface FineTuneResult {
  /** Optimizer steps taken (fewer than planned when stopped). */
  steps: number;
  /** True when `stop()` ended the run early (the weights so far are exported). */
  stopped: boolean;
  backend: string;
  /** Loss of the last step. */
  finalLoss: number;
  /** Evaluation loss after the last step, when there is a held-out split. */
  finalEvalLoss?: number;
  /**
   * The fine-tuned model as a Hugging Face folder (config.json, model.safetensors — LoRA merged —,
   * the tokenizer files): save them, or pass `{ files: model }` to createWorkerEngine to chat with it.
   */
  model: NamedBlob[];
  /** The PEFT adapter (adapter_config.json, adapter_model.safetensors) of a LoRA run. */
  adapter?: NamedBlob[];
}

export const FINE_TUNE_DEFAULTS = {
  epochs: 3, batchSize: 4, sequenceLength: 128, overlong: 'drop', backend: 'auto', weightDecay: 0, maxGradNorm: 1, evalFraction: 0, seed: 1, exportDtype: 'F32', sampleTokens: 48,
} as const;

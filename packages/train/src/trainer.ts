import type { LlamaTrainingModel } from './model/llama-training-model.js';
import type { TrainingBatch } from './model/training-batch.js';
import { AdamW, type AdamWOptions } from './optim/adamw-optimizer.js';
import { checkSchedule, learningRateAt, type LearningRateSchedule } from './optim/lr-schedule.js';
import { TrainingInputError } from './errors.js';

export interface TrainerOptions extends AdamWOptions {
  schedule: LearningRateSchedule;
}

export interface StepReport {
  /** 1-based optimizer step. */
  step: number;
  /** Mean over the micro-batches of each one's mean cross-entropy (what HF's Trainer logs). */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  learningRate: number;
  /** Tokens processed in this step, B·T summed over micro-batches (for tokens/s). */
  tokens: number;
}

/**
 * One optimizer step = forward + backward over each micro-batch (gradient accumulation, each loss
 * scaled by 1 / micro-batches as Hugging Face does), then clipping and AdamW at the scheduled rate.
 * Deterministic: the same weights and batches give bit-identical steps on the reference and wasm backends.
 */
export class Trainer {
  readonly optimizer: AdamW;

  constructor(
    readonly model: LlamaTrainingModel,
    readonly options: TrainerOptions,
  ) {
    checkSchedule(options?.schedule);
    this.optimizer = new AdamW(model.backend, model.parameters.trainable, options);
  }

  get step(): number {
    return this.optimizer.step;
  }

  async trainStep(microBatches: readonly TrainingBatch[]): Promise<StepReport> {
    if (microBatches.length === 0) throw new TrainingInputError('trainStep', 'at least one micro-batch', 'none', 'pass [batch] for a step without accumulation');
    const { model } = this;
    const scale = 1 / microBatches.length;
    model.zeroGradients();
    let loss = 0;
    let tokens = 0;
    for (const batch of microBatches) {
      model.forward(batch, { gradientScale: scale });
      model.backward();
      loss += (await model.readLoss()) * scale;
      tokens += batch.batchSize * batch.sequenceLength;
    }
    const learningRate = learningRateAt(this.options.schedule, this.optimizer.step + 1);
    const { gradNorm } = await this.optimizer.update(learningRate);
    return { step: this.optimizer.step, loss, gradNorm, learningRate, tokens };
  }

  /** Mean loss over `batches` without gradients (evaluation on a held-out split). */
  async evaluate(batches: readonly TrainingBatch[]): Promise<number> {
    let total = 0;
    for (const batch of batches) {
      this.model.forward(batch);
      total += await this.model.readLoss();
    }
    return total / Math.max(1, batches.length);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

import { TrainingInputError } from '../errors.js';

export interface LearningRateSchedule {
  /** Peak learning rate. */
  learningRate: number;
  /** Steps of linear warmup from 0. */
  warmupSteps?: number;
  /** Optimizer steps in the whole run (the decay ends there). */
  totalSteps: number;
  /** After warmup: 'cosine' (to 0 at totalSteps), 'linear' (to 0) or 'constant'. */
  decay?: 'cosine' | 'linear' | 'constant';
}

/**
 * The learning rate of optimizer step `step` (1-based), as Hugging Face's
 * get_{cosine,linear,constant}_schedule_with_warmup with its LambdaLR: step s uses the lambda at
 * s − 1, so with warmup the first step runs at learning rate 0 exactly as the Trainer does.
 */
/** Refuses a schedule that is not one (the trainer checks it once, before any step). */
export function checkSchedule(schedule: unknown): LearningRateSchedule {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new TrainingInputError(`schedule${field}`, expected, JSON.stringify(got) ?? String(got), 'e.g. { learningRate: 2e-4, warmupSteps: 10, totalSteps: 500, decay: "cosine" }');
  };
  if (typeof schedule !== 'object' || schedule === null || Array.isArray(schedule)) return fail('', 'an object', schedule);
  const { learningRate, warmupSteps = 0, totalSteps, decay = 'cosine' } = schedule as Record<string, unknown>;
  if (typeof learningRate !== 'number' || !(learningRate >= 0 && learningRate < Infinity)) fail('.learningRate', 'a non-negative number', learningRate);
  if (typeof warmupSteps !== 'number' || !Number.isInteger(warmupSteps) || warmupSteps < 0) fail('.warmupSteps', 'an integer ≥ 0', warmupSteps);
  if (typeof totalSteps !== 'number' || !Number.isInteger(totalSteps) || totalSteps < 1) fail('.totalSteps', 'an integer ≥ 1', totalSteps);
  if (decay !== 'cosine' && decay !== 'linear' && decay !== 'constant') fail('.decay', "'cosine', 'linear' or 'constant'", decay);
  return schedule as LearningRateSchedule;
}

export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  const { learningRate, warmupSteps = 0, totalSteps, decay = 'cosine' } = schedule;
  if (!Number.isInteger(step) || step < 1) throw new TrainingInputError('learning-rate step', 'an integer ≥ 1', String(step), 'optimizer steps are counted from 1');
  if (!(totalSteps >= 1)) throw new TrainingInputError('totalSteps', 'at least 1', String(totalSteps), 'set totalSteps to the number of optimizer steps of the run');
  const index = step - 1;
  if (index < warmupSteps) return (learningRate * index) / Math.max(1, warmupSteps);
  if (decay === 'constant') return learningRate;
  // Clamped at 1: past totalSteps HF's cosine would rise again; here it stays at 0.
  const progress = Math.min(1, (index - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  if (decay === 'linear') return learningRate * Math.max(0, (totalSteps - index) / Math.max(1, totalSteps - warmupSteps));
  return learningRate * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

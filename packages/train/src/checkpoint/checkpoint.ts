import { encodeSafetensors, openFileSource, SafetensorsFile } from '@cria/runtime';
import type { DataPosition } from '../data/data-loader.js';
import type { Trainer } from '../trainer.js';
import { writeFileAtomic } from './atomic-write.js';

export const CHECKPOINT_MAGIC = 'cria-train-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** Everything a run needs besides the tensors: where it stands and what it was started with. */
export interface CheckpointState {
  /** Optimizer steps taken. */
  step: number;
  /** The data loader's position; with the loader's seed it fixes every later batch. */
  data: DataPosition;
  /**
   * The seeds of the run (model init, data order, LoRA). With the data position and
   * `loraDropoutForwards` they are the whole RNG state.
   */
  seeds: Record<string, number>;
  /** Free-form run settings (hyperparameters, config), stored as given. */
  settings?: unknown;
  /** Written by saveCheckpoint for a LoRA model with dropout: the training forwards so far (the dropout stream's position). */
  loraDropoutForwards?: number;
}

/**
 * One safetensors file: `weights.<name>`, `adam.m.<name>`, `adam.v.<name>` (f32) and, in the
 * metadata, the magic/version and the JSON state. Written atomically (writeFileAtomic), so a run
 * killed mid-save still resumes from the previous checkpoint.
 */
export async function saveCheckpoint(path: string, trainer: Trainer, state: CheckpointState): Promise<void> {
  // Only trainable parameters: a LoRA run's frozen base is reloaded from the base model, not copied into every checkpoint.
  const weights = await trainer.model.parameters.readAll(trainer.model.parameters.trainable.map((parameter) => parameter.name));
  const moments = await trainer.optimizer.readState();
  const tensors = [];
  for (const [name, data] of weights) tensors.push({ name: `weights.${name}`, dtype: 'F32' as const, shape: trainer.model.parameters.get(name).value.shape, data });
  for (const [name, { m, v }] of moments) {
    const shape = trainer.model.parameters.get(name).value.shape;
    tensors.push({ name: `adam.m.${name}`, dtype: 'F32' as const, shape, data: m }, { name: `adam.v.${name}`, dtype: 'F32' as const, shape, data: v });
  }
  const metadata = { magic: CHECKPOINT_MAGIC, version: String(CHECKPOINT_VERSION), state: JSON.stringify({ ...state, step: trainer.step, loraDropoutForwards: trainer.model.lora?.dropout?.forwardCount }) };
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}. Hint: resume from a checkpoint written by @cria/train's saveCheckpoint for this model`);
    this.name = 'CheckpointError';
  }
}

/**
 * Restores weights and optimizer state into `trainer` (built for the same model) and returns the saved
 * state. The file is read one tensor at a time (positioned reads), every name checked first, so a
 * resume holds about one tensor in host memory and a wrong checkpoint changes nothing.
 */
export async function loadCheckpoint(path: string, trainer: Trainer): Promise<CheckpointState> {
  const reader = await SafetensorsFile.open(await openFileSource(path));
  try {
    const { magic, version } = reader.metadata;
    if (magic !== CHECKPOINT_MAGIC) throw new CheckpointError(path, `magic '${magic}' is not '${CHECKPOINT_MAGIC}'`);
    if (version !== String(CHECKPOINT_VERSION)) throw new CheckpointError(path, `version ${version} is not ${CHECKPOINT_VERSION}`);
    const { parameters } = trainer.model;
    const names = parameters.trainable.flatMap(({ name }) => [`weights.${name}`, `adam.m.${name}`, `adam.v.${name}`]);
    const missing = names.find((name) => !reader.tensors.has(name));
    if (missing) throw new CheckpointError(path, `tensor '${missing}' is missing`);
    const read = async (name: string) => (await reader.read(name)).data as Float32Array;
    for (const { name } of parameters.trainable) {
      parameters.write(name, await read(`weights.${name}`));
      trainer.optimizer.writeMoments(name, await read(`adam.m.${name}`), await read(`adam.v.${name}`));
    }
    const state = JSON.parse(reader.metadata['state'] ?? '{}') as CheckpointState;
    trainer.optimizer.step = state.step;
    const dropout = trainer.model.lora?.dropout;
    if (dropout) dropout.forwardCount = state.loraDropoutForwards ?? 0;
    return state;
  } finally {
    await reader.close();
  }
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configFromHf, MemoryByteSource, SafetensorsFile, type ModelConfig } from '@cria/runtime';
import type { TrainingBatch } from '../model/training-batch.js';

export const GOLDEN_MAGIC = 'cria-train-golden';
export const GOLDEN_VERSION = 1;
export type GoldenVariant = 'llama' | 'qwen2-tied';
export const GOLDEN_VARIANTS: readonly GoldenVariant[] = ['llama', 'qwen2-tied'];
export const goldenFile = (variant: GoldenVariant) => join(import.meta.dirname, `../../fixtures/golden-${variant}.safetensors`);

export interface GoldenTraining {
  learning_rate: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
  max_grad_norm: number;
  warmup_steps: number;
  total_steps: number;
  schedule: 'cosine';
  micro_batches: number;
}

/** The PyTorch golden run written by scripts/make-golden.py (see there for what each part means). */
export interface GoldenRun {
  config: ModelConfig;
  training: GoldenTraining;
  batch: TrainingBatch;
  weights: Map<string, Float32Array>;
  logits: Float32Array; // [B·T, V]
  loss: number;
  grads: Map<string, Float32Array>;
  losses: number[];
  gradNorms: number[];
  learningRates: number[];
  final: Map<string, Float32Array>;
}

export async function loadGoldenRun(variant: GoldenVariant): Promise<GoldenRun> {
  const file = goldenFile(variant);
  const reader = await SafetensorsFile.open(new MemoryByteSource(new Uint8Array(await readFile(file)), file));
  const meta = reader.metadata;
  if (meta['magic'] !== GOLDEN_MAGIC || meta['version'] !== String(GOLDEN_VERSION)) {
    throw new Error(`${file}: magic/version ${meta['magic']}/${meta['version']}, expected ${GOLDEN_MAGIC}/${GOLDEN_VERSION}. Hint: regenerate it with scripts/make-golden.py`);
  }
  const group = async (prefix: string) => {
    const out = new Map<string, Float32Array>();
    for (const name of reader.tensors.keys()) {
      if (name.startsWith(prefix)) out.set(name.slice(prefix.length), (await reader.read(name)).data as Float32Array);
    }
    return out;
  };
  const batch = JSON.parse(meta['batch']!) as Record<'ids' | 'targets' | 'positions' | 'segments', number[][]>;
  const flat = (rows: number[][]) => Int32Array.from(rows.flat());
  return {
    config: configFromHf(JSON.parse(meta['config']!)),
    training: JSON.parse(meta['training']!) as GoldenTraining,
    batch: {
      batchSize: batch.ids.length,
      sequenceLength: batch.ids[0]!.length,
      ids: flat(batch.ids),
      targets: flat(batch.targets),
      positions: flat(batch.positions),
      segmentIds: flat(batch.segments),
    },
    weights: await group('weights.'),
    logits: (await reader.read('logits')).data as Float32Array,
    loss: Number(meta['loss']),
    grads: await group('grads.'),
    losses: JSON.parse(meta['losses']!) as number[],
    gradNorms: JSON.parse(meta['grad_norms']!) as number[],
    learningRates: JSON.parse(meta['learning_rates']!) as number[],
    final: await group('final.'),
  };
}

/** One row of a [B, T] batch as its own micro-batch. */
export function batchRow(batch: TrainingBatch, row: number): TrainingBatch {
  const T = batch.sequenceLength;
  const slice = (array: Int32Array | undefined) => array?.slice(row * T, (row + 1) * T);
  return { batchSize: 1, sequenceLength: T, ids: slice(batch.ids)!, targets: slice(batch.targets)!, positions: slice(batch.positions), segmentIds: slice(batch.segmentIds) };
}

/** max |a − b| / max |b|: the error relative to the tensor's scale (ggml's normalised error, in ∞-norm). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return difference / Math.max(scale, 1e-30);
}

export function maxAbsoluteError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference = Math.max(difference, Math.abs(actual[i]! - expected[i]!));
  return difference;
}

/** The PyTorch LoRA step written by scripts/make-golden.py (`main_lora`). */
export interface GoldenLoraStep {
  config: ModelConfig;
  lora: { rank: number; alpha: number; dropout: number; targets: string[] };
  training: { learning_rate: number; betas: [number, number]; eps: number; weight_decay: number; max_grad_norm: number };
  batch: TrainingBatch;
  weights: Map<string, Float32Array>;
  adapters: Map<string, Float32Array>;
  logits: Float32Array; // [B·T, V]
  loss: number;
  gradNorm: number;
  grads: Map<string, Float32Array>;
  updated: Map<string, Float32Array>;
}

export async function loadGoldenLoraStep(): Promise<GoldenLoraStep> {
  const file = join(import.meta.dirname, '../../fixtures/golden-lora.safetensors');
  const reader = await SafetensorsFile.open(new MemoryByteSource(new Uint8Array(await readFile(file)), file));
  const meta = reader.metadata;
  if (meta['magic'] !== GOLDEN_MAGIC || meta['version'] !== String(GOLDEN_VERSION)) throw new Error(`${file}: not a golden fixture of version ${GOLDEN_VERSION}. Hint: regenerate it with scripts/make-golden.py lora`);
  const group = async (prefix: string) => {
    const out = new Map<string, Float32Array>();
    for (const name of reader.tensors.keys()) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), (await reader.read(name)).data as Float32Array);
    return out;
  };
  const batch = JSON.parse(meta['batch']!) as Record<'ids' | 'targets' | 'positions' | 'segments', number[][]>;
  const flat = (rows: number[][]) => Int32Array.from(rows.flat());
  return {
    config: configFromHf(JSON.parse(meta['config']!)),
    lora: JSON.parse(meta['lora']!),
    training: JSON.parse(meta['training']!),
    batch: { batchSize: batch.ids.length, sequenceLength: batch.ids[0]!.length, ids: flat(batch.ids), targets: flat(batch.targets), positions: flat(batch.positions), segmentIds: flat(batch.segments) },
    weights: await group('weights.'),
    adapters: await group('adapters.'),
    logits: (await reader.read('logits')).data as Float32Array,
    loss: Number(meta['loss']),
    gradNorm: Number(meta['grad_norm']),
    grads: await group('grads.'),
    updated: await group('updated.'),
  };
}

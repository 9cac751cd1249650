import type { Tensor } from '../tensor.js';
import type { TrainingBackend, TrainingOpName } from '../training-ops.js';
import type { TensorSpec } from './op-cases.js';
import type { Random } from './random.js';

/**
 * A case of a training op: inputs, the tensors the op writes (pre-filled, so accumulation is
 * tested), and — for gradients — the f64 objective they are the gradient of, so the harness can
 * check the reference against central finite differences and every backend against the reference.
 */
export interface OutputSpec {
  shape: number[];
  /**
   * Contents before the op. Gradients start random in a third of the cases (the op must add to
   * them: a backend that overwrites fails) and zero otherwise, since f32(initial + gradient)
   * rounds away the low digits of a small gradient that the comparison is about.
   */
  initial: Float32Array;
  /** the input this output is the gradient of, for the finite-difference check */
  wrt?: string;
  /**
   * Size of the terms the output is a sum of. A divergence of two near-equal distributions is a
   * tiny difference of O(1) terms, so f32 cancellation bounds its absolute error, not its relative
   * one: errors are normalised by at least this magnitude.
   */
  scale?: number;
}

export type ObjectiveInputs = Record<string, Float64Array | Int32Array>;

export interface BackwardCase {
  op: TrainingOpName;
  label: string;
  inputs: Record<string, TensorSpec>;
  outputs: Record<string, OutputSpec>;
  /** Runs the op (and any forward it needs) on `tensors`: the inputs and outputs by name. */
  run(backend: TrainingBackend, tensors: Record<string, Tensor>): void;
  /** The f64 scalar whose gradients the `wrt` outputs hold (e.g. Σ forward(x) ⊙ dout). */
  objective?(inputs: ObjectiveInputs): number;
  /** Largest normalised error against the reference backend. */
  tolerance: number;
}

export type BackwardCaseGenerator = (random: Random) => BackwardCase;

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const f32 = (shape: number[], data: Float32Array): TensorSpec => ({ dtype: 'f32', shape, data });
export const i32 = (shape: number[], data: Int32Array): TensorSpec => ({ dtype: 'i32', shape, data });

/** A gradient output of `shape`, zero or pre-filled with random values. */
export function gradientOf(random: Random, shape: number[], wrt: string, scale?: number): OutputSpec {
  const initial = random.next() < 0.33 ? random.normals(size(shape), 0.5) : new Float32Array(size(shape));
  return { shape, initial, wrt, scale };
}

/** An output that the op writes (NaN before, so an element it misses shows). */
export function valueOutput(shape: number[], initial?: Float32Array, scale?: number): OutputSpec {
  return { shape, initial: initial ?? new Float32Array(size(shape)).fill(Number.NaN), scale };
}

/** Σ values ⊙ weights: the scalar objective of a backward with upstream gradient `weights`. */
export function project(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * weights[i]!;
  return sum;
}

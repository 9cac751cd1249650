import type { Tensor } from '../tensor.js';
import type { TrainingBackend, TrainingOpName } from '../training-ops.js';
import type { BackwardCase, BackwardCaseGenerator, ObjectiveInputs } from './backward-case.js';
import { BACKWARD_CASES } from './backward-cases.js';
import { mismatches, normalisedError } from './error-metrics.js';
import { LOSS_CASES } from './loss-cases.js';
import type { Random } from './random.js';

/** Every training op's case generator (adding an op = one line here and one generator). */
export const TRAINING_CASES: Record<TrainingOpName, BackwardCaseGenerator> = { ...BACKWARD_CASES, ...LOSS_CASES };

/** The op's outputs after it ran. */
export type CaseOutputs = Record<string, Float64Array>;

/** `zeroGradients`: start every gradient at 0 (the finite-difference check wants the bare gradient). */
export async function runBackwardOnBackend(backend: TrainingBackend, testCase: BackwardCase, zeroGradients = false): Promise<CaseOutputs> {
  const tensors: Record<string, Tensor> = {};
  try {
    for (const [name, spec] of Object.entries(testCase.inputs)) tensors[name] = backend.tensor(spec.dtype, spec.shape, spec.data);
    for (const [name, spec] of Object.entries(testCase.outputs)) {
      tensors[name] = backend.tensor('f32', spec.shape, zeroGradients && spec.wrt ? undefined : spec.initial);
    }
    testCase.run(backend, tensors);
    const results: CaseOutputs = {};
    for (const name of Object.keys(testCase.outputs)) results[name] = Float64Array.from((await backend.read(tensors[name]!)) as Float32Array);
    return results;
  } finally {
    for (const tensor of Object.values(tensors)) backend.free(tensor);
  }
}

/** Worst normalised error (or mismatch count when tolerance is 0) over the outputs, with its name. */
export function compareOutputs(actual: CaseOutputs, expected: CaseOutputs, testCase: BackwardCase): { error: number; output: string } {
  let worst = { error: 0, output: '' };
  for (const [name, values] of Object.entries(expected)) {
    const error = testCase.tolerance === 0 ? mismatches(actual[name]!, values) : normalisedError(actual[name]!, values, testCase.outputs[name]?.scale);
    if (!(error <= worst.error)) worst = { error, output: name };
  }
  return worst;
}

const FINITE_DIFFERENCE_STEP = 1e-4;
/** f32 analytic gradients against f64 central differences: both errors are far below this. */
export const FINITE_DIFFERENCE_TOLERANCE = 1e-6;

/**
 * Checks `analytic` (gradients from the reference backend, run with zeroGradients) against central differences of the
 * case's f64 objective at up to `samples` coordinates of each input that has a gradient.
 */
export function finiteDifferenceError(testCase: BackwardCase, analytic: CaseOutputs, random: Random, samples = 12): { error: number; output: string } {
  const inputs: ObjectiveInputs = {};
  for (const [name, spec] of Object.entries(testCase.inputs)) {
    inputs[name] = spec.dtype === 'i32' ? (spec.data as Int32Array) : Float64Array.from(spec.data as Float32Array);
  }
  let worst = { error: 0, output: '' };
  for (const [name, spec] of Object.entries(testCase.outputs)) {
    if (!spec.wrt || !testCase.objective) continue;
    const x = inputs[spec.wrt] as Float64Array;
    const coordinates = x.length <= samples ? x.map((_, i) => i) : Array.from({ length: samples }, () => random.int(0, x.length - 1));
    const numeric: number[] = [];
    const exact: number[] = [];
    for (const i of coordinates) {
      const original = x[i]!;
      const h = FINITE_DIFFERENCE_STEP * Math.max(1, Math.abs(original));
      x[i] = original + h;
      const plus = testCase.objective(inputs);
      x[i] = original - h;
      const minus = testCase.objective(inputs);
      x[i] = original;
      numeric.push((plus - minus) / (2 * h));
      exact.push(analytic[name]![i]!);
    }
    // Absolute floor: a gradient that is ~0 everywhere sampled (masked rows) compares as absolute error.
    const floor = numeric.reduce((sum, value) => sum + value * value, 0) < 1e-20 ? 1 : 0;
    const error = normalisedError([...exact, floor], [...numeric, floor]);
    if (!(error <= worst.error)) worst = { error, output: name };
  }
  return worst;
}

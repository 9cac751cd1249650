import type { Backend } from '../backend.js';
import { fromF16 } from '../numeric/half.js';
import type { Tensor } from '../tensor.js';
import { mismatches, normalisedError } from './error-metrics.js';
import type { OpCase } from './op-cases.js';

export interface CaseResult {
  error: number;
  passed: boolean;
  actual: ArrayLike<number>;
}

/** Uploads a case's inputs to `backend`, runs the op, reads the output and frees everything. */
export async function runOnBackend(backend: Backend, testCase: OpCase): Promise<ArrayLike<number>> {
  const inputs: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(testCase.inputs)) inputs[name] = backend.tensor(spec.dtype, spec.shape, spec.data);
  const out = backend.tensor(testCase.output.dtype, testCase.output.shape);
  try {
    testCase.run(backend, inputs, out);
    return (await backend.read(out)) as ArrayLike<number>;
  } finally {
    for (const tensor of [...Object.values(inputs), out]) backend.free(tensor);
  }
}

export async function scoreCase(backend: Backend, expected: ArrayLike<number>, testCase: OpCase): Promise<CaseResult> {
  const actual = await runOnBackend(backend, testCase);
  // An f16 output compared within a tolerance is compared as the values its bits encode.
  const values = (output: ArrayLike<number>) => (testCase.output.dtype === 'f16' ? fromF16(output) : output);
  const error = testCase.tolerance === 0 ? mismatches(actual, expected) : normalisedError(values(actual), values(expected), testCase.scale);
  return { error, passed: error <= testCase.tolerance, actual };
}

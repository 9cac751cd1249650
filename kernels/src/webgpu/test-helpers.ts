import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/** Test support: run the same op on two backends from the same host inputs and return both outputs. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: ArrayBufferView;
}

export async function runOn(
  backend: Backend,
  inputs: Record<string, HostTensor>,
  output: { dtype: DType; shape: number[] },
  op: (backend: Backend, tensors: Record<string, Tensor>, out: Tensor) => void,
): Promise<ArrayLike<number>> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(inputs)) tensors[name] = backend.tensor(spec.dtype, spec.shape, spec.data);
  const out = backend.tensor(output.dtype, output.shape);
  try {
    op(backend, tensors, out);
    return (await backend.read(out)) as ArrayLike<number>;
  } finally {
    for (const tensor of [...Object.values(tensors), out]) backend.free(tensor);
  }
}

export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (scale || 1));
  return actual.length === expected.length ? worst : Infinity;
}

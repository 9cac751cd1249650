import type { BinaryParams, ScaleParams, SwigluParams, UnaryParams } from '../../ops.js';
import { checkBinary, checkSwiglu, checkUnary } from '../../validate.js';
import { WORKGROUP_SIZE, f32, grid, u32, type OpContext } from './op-context.js';

/** Element-wise ops: one entry point of elementwise.wgsl each, one invocation per element. */

function run(
  context: OpContext,
  entryPoint: string,
  size: number,
  inputs: { a: GPUBufferBinding; b?: GPUBufferBinding },
  out: GPUBufferBinding,
  bSize = 1,
  factor = 1,
): void {
  if (size === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('elementwise', entryPoint),
    [inputs.a, inputs.b, out],
    [u32(size), u32(bSize), f32(factor)],
    grid(Math.ceil(size / WORKGROUP_SIZE)),
  );
}

export function unary(context: OpContext, op: 'silu' | 'gelu', params: UnaryParams): void {
  checkUnary(op, params);
  run(context, op, params.x.size, { a: context.binding(params.x, op, 'x') }, context.binding(params.out, op, 'out'));
}

export function scale(context: OpContext, params: ScaleParams): void {
  checkUnary('scale', params);
  const x = context.binding(params.x, 'scale', 'x');
  run(context, 'scale', params.x.size, { a: x }, context.binding(params.out, 'scale', 'out'), 1, params.factor);
}

export function swiglu(context: OpContext, params: SwigluParams): void {
  const size = checkSwiglu(params);
  const inputs = { a: context.binding(params.gate, 'swiglu', 'gate'), b: context.binding(params.up, 'swiglu', 'up') };
  run(context, 'swiglu', size, inputs, context.binding(params.out, 'swiglu', 'out'));
}

export function binary(context: OpContext, op: 'add' | 'mul', params: BinaryParams): void {
  const { size, bSize } = checkBinary(op, params);
  const inputs = { a: context.binding(params.a, op, 'a'), b: context.binding(params.b, op, 'b') };
  run(context, op, size, inputs, context.binding(params.out, op, 'out'), bSize);
}

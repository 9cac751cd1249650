import type {
  ActivationBackwardParams,
  AddBackwardParams,
  MulBackwardParams,
  ScaleBackwardParams,
  SwigluBackwardParams,
} from '../../training-ops.js';
import * as check from '../../validate-training.js';
import { WORKGROUP_SIZE, f32, grid, u32, type OpContext } from './op-context.js';

/** Element-wise backward ops: entry points of elementwise-backward.wgsl, one invocation per element. */

interface Bindings {
  dout: GPUBufferBinding;
  factor?: GPUBufferBinding;
  up?: GPUBufferBinding;
  dx?: GPUBufferBinding;
  dup?: GPUBufferBinding;
}

function run(context: OpContext, entryPoint: string, invocations: number, bindings: Bindings, size: number, bSize = size, factor = 1): void {
  if (invocations === 0) return;
  const { dout, factor: factorBinding, up, dx, dup } = bindings;
  context.recorder.dispatch(
    context.pipelines.get('elementwise-backward', entryPoint),
    [dout, factorBinding, up, dx, dup],
    [u32(size), u32(bSize), f32(factor)],
    grid(Math.ceil(invocations / WORKGROUP_SIZE)),
  );
}

export function activationBackward(context: OpContext, op: 'siluBackward' | 'geluBackward', params: ActivationBackwardParams): void {
  check.checkActivationBackward(op, params);
  const size = params.x.size;
  const bindings = {
    dout: context.binding(params.dout, op, 'dout'),
    factor: context.binding(params.x, op, 'x'),
    dx: context.binding(params.dx, op, 'dx'),
  };
  run(context, op === 'siluBackward' ? 'silu' : 'gelu', size, bindings, size);
}

export function swigluBackward(context: OpContext, params: SwigluBackwardParams): void {
  const op = 'swigluBackward';
  check.checkSwigluBackward(params);
  const size = params.gate.size;
  run(context, 'swiglu', size, {
    dout: context.binding(params.dout, op, 'dout'),
    factor: context.binding(params.gate, op, 'gate'),
    up: context.binding(params.up, op, 'up'),
    dx: context.binding(params.dgate, op, 'dgate'),
    dup: context.binding(params.dup, op, 'dup'),
  }, size);
}

export function scaleBackward(context: OpContext, params: ScaleBackwardParams): void {
  const op = 'scaleBackward';
  check.checkActivationBackward(op, { dx: params.dx, dout: params.dout, x: params.dout });
  const size = params.dout.size;
  run(context, 'scale', size, { dout: context.binding(params.dout, op, 'dout'), dx: context.binding(params.dx, op, 'dx') }, size, size, params.factor);
}

/** add: da += dout; db += dout summed over the broadcast leading dimensions (one invocation per db element). */
export function addBackward(context: OpContext, params: AddBackwardParams): void {
  const op = 'addBackward';
  const { size, bSize } = check.checkAddBackward(params);
  const dout = context.binding(params.dout, op, 'dout');
  if (params.da) run(context, 'add_a', size, { dout, dx: context.binding(params.da, op, 'da') }, size, bSize);
  if (params.db) run(context, 'add_b', bSize, { dout, dup: context.binding(params.db, op, 'db') }, size, bSize);
}

/** mul: da += dout ⊙ b (broadcast), db += Σ dout ⊙ a over the broadcast leading dimensions. */
export function mulBackward(context: OpContext, params: MulBackwardParams): void {
  const op = 'mulBackward';
  const { size, bSize } = check.checkMulBackward(params);
  const dout = context.binding(params.dout, op, 'dout');
  if (params.da) {
    run(context, 'mul_a', size, { dout, factor: context.binding(params.b, op, 'b'), dx: context.binding(params.da, op, 'da') }, size, bSize);
  }
  if (params.db) {
    run(context, 'mul_b', bSize, { dout, factor: context.binding(params.a, op, 'a'), dup: context.binding(params.db, op, 'db') }, size, bSize);
  }
}

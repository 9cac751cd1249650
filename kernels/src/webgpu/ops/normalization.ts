import type { AddRmsNormParams, ArgmaxParams, LayerNormParams, RmsNormParams, UnaryParams } from '../../ops.js';
import { checkAddRmsNorm, checkArgmax, checkLayerNorm, checkRmsNorm, checkUnary } from '../../validate.js';
import { f32, grid, u32, type OpContext } from './op-context.js';

/** The row-wise ops: one workgroup per row of the last dimension. */

export function rmsnorm(context: OpContext, params: RmsNormParams): void {
  const { rows, C } = checkRmsNorm(params);
  if (rows === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('normalization', 'rmsnorm'),
    [
      context.binding(params.x, 'rmsnorm', 'x'),
      context.binding(params.weight, 'rmsnorm', 'weight'),
      undefined,
      context.binding(params.out, 'rmsnorm', 'out'),
    ],
    [u32(rows), u32(C), f32(params.eps)],
    grid(rows),
  );
}

export function addRmsnorm(context: OpContext, params: AddRmsNormParams): void {
  const { rows, C } = checkAddRmsNorm(params);
  if (rows === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('normalization', 'add_rmsnorm'),
    [
      context.binding(params.x, 'addRmsnorm', 'x'),
      context.binding(params.weight, 'addRmsnorm', 'weight'),
      undefined,
      context.binding(params.out, 'addRmsnorm', 'out'),
      context.binding(params.residual, 'addRmsnorm', 'residual'),
    ],
    [u32(rows), u32(C), f32(params.eps)],
    grid(rows),
  );
}

export function layernorm(context: OpContext, params: LayerNormParams): void {
  const { rows, C } = checkLayerNorm(params);
  if (rows === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('normalization', 'layernorm'),
    [
      context.binding(params.x, 'layernorm', 'x'),
      context.binding(params.weight, 'layernorm', 'weight'),
      context.binding(params.bias, 'layernorm', 'bias'),
      context.binding(params.out, 'layernorm', 'out'),
    ],
    [u32(rows), u32(C), f32(params.eps)],
    grid(rows),
  );
}

export function softmax(context: OpContext, params: UnaryParams): void {
  const { rows, C } = checkUnary('softmax', params);
  if (rows === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('softmax'),
    [context.binding(params.x, 'softmax', 'x'), context.binding(params.out, 'softmax', 'out')],
    [u32(rows), u32(C)],
    grid(rows),
  );
}

export function argmax(context: OpContext, params: ArgmaxParams): void {
  const { rows, C } = checkArgmax(params);
  if (rows === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('argmax'),
    [context.binding(params.x, 'argmax', 'x'), context.binding(params.out, 'argmax', 'out')],
    [u32(rows), u32(C)],
    grid(rows),
  );
}

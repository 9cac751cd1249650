import type { RmsNormBackwardParams, SoftmaxBackwardParams } from '../../training-ops.js';
import { checkRmsNormBackward, checkSoftmaxBackward } from '../../validate-training.js';
import { WORKGROUP_SIZE, f32, grid, u32, type OpContext } from './op-context.js';

/** rmsnorm backward: a row pass (dx, saving each row's 1/rms) and a column pass (dweight). */
export function rmsnormBackward(context: OpContext, params: RmsNormBackwardParams): void {
  const { rows, C } = checkRmsNormBackward(params);
  if (rows * C === 0) return;
  const op = 'rmsnormBackward';
  const dout = context.binding(params.dout, op, 'dout');
  const x = context.binding(params.x, op, 'x');
  const inverses = context.scratch(rows * 4); // [rows]
  const uniforms = [u32(rows), u32(C), f32(params.eps)];
  context.recorder.dispatch(
    context.pipelines.get('normalization-backward', 'rmsnorm_rows'),
    [dout, x, context.binding(params.weight, op, 'weight'), context.binding(params.dx, op, 'dx'), inverses],
    uniforms,
    grid(rows),
  );
  if (!params.dweight) return;
  context.recorder.dispatch(
    context.pipelines.get('normalization-backward', 'rmsnorm_weight'),
    [dout, x, undefined, undefined, inverses, context.binding(params.dweight, op, 'dweight')],
    uniforms,
    grid(Math.ceil(C / WORKGROUP_SIZE)),
  );
}

export function softmaxBackward(context: OpContext, params: SoftmaxBackwardParams): void {
  const { rows, C } = checkSoftmaxBackward(params);
  if (rows * C === 0) return;
  const op = 'softmaxBackward';
  context.recorder.dispatch(
    context.pipelines.get('normalization-backward', 'softmax'),
    [context.binding(params.dout, op, 'dout'), context.binding(params.out, op, 'out'), undefined, context.binding(params.dx, op, 'dx')],
    [u32(rows), u32(C), f32(0)],
    grid(rows),
  );
}

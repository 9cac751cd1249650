import type { RopeParams } from '../../ops.js';
import type { RopeBackwardParams } from '../../training-ops.js';
import { checkRopeBackward } from '../../validate-training.js';
import { checkRope } from '../../validate.js';
import { WORKGROUP_SIZE, grid, u32, type OpContext } from './op-context.js';

export function rope(context: OpContext, params: RopeParams): void {
  rotate(context, 'rope', params, checkRope(params), false);
}

/** dx += the inverse rotation of dout: the forward kernel with the angle negated, accumulating. */
export function ropeBackward(context: OpContext, params: RopeBackwardParams): void {
  const dims = checkRopeBackward(params);
  const { dx, dout, ...rest } = params;
  rotate(context, 'ropeBackward', { ...rest, out: dx, x: dout }, dims, true);
}

function rotate(
  context: OpContext,
  op: string,
  params: RopeParams,
  { B, T, nHeads, D }: { B: number; T: number; nHeads: number; D: number },
  backward: boolean,
): void {
  const pairs = (B * T * nHeads * D) / 2;
  if (pairs === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('rope', 'main', { HALF: params.style === 'half', BACKWARD: backward }),
    [
      context.binding(params.x, op, backward ? 'dout' : 'x'),
      context.binding(params.positions, op, 'positions'),
      context.ropeFrequencies(params.theta, D, params.inverseFrequencies),
      context.binding(params.out, op, backward ? 'dx' : 'out'),
    ],
    [u32(pairs), u32(D / 2), u32(nHeads)],
    grid(Math.ceil(pairs / WORKGROUP_SIZE)),
  );
}

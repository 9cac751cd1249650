import type { RopeParams } from '../../ops.js';
import { checkRope } from '../../validate.js';
import { WORKGROUP_SIZE, grid, u32, type OpContext } from './op-context.js';

export function rope(context: OpContext, params: RopeParams): void {
  const { B, T, nHeads, D } = checkRope(params);
  const pairs = (B * T * nHeads * D) / 2;
  if (pairs === 0) return;
  context.recorder.dispatch(
    context.pipelines.get('rope', 'main', { HALF: params.style === 'half' }),
    [
      context.binding(params.x, 'rope', 'x'),
      context.binding(params.positions, 'rope', 'positions'),
      context.ropeFrequencies(params.theta, D, params.inverseFrequencies),
      context.binding(params.out, 'rope', 'out'),
    ],
    [u32(pairs), u32(D / 2), u32(nHeads)],
    grid(Math.ceil(pairs / WORKGROUP_SIZE)),
  );
}

import type { RopeAppendParams } from '../../ops.js';
import { checkRopeAppend } from '../../validate.js';
import { WORKGROUP_SIZE, grid, u32, type OpContext } from './op-context.js';

/**
 * One dispatch of rope-append.wgsl where the unfused steps took four (rope q, rope k, and two
 * cache writes: dispatches into an f16 cache, buffer copies into an f32 one). A decode step's
 * layer is small enough on a GPU that the number of dispatches, not their work, sets its time.
 */
export function ropeAppend(context: OpContext, params: RopeAppendParams): void {
  const { B, T, S, nHeads, nKvHeads, D, start } = checkRopeAppend(params);
  const qUnits = B * T * nHeads * D;
  const kvElements = B * T * nKvHeads * D;
  if (qUnits === 0 && kvElements === 0) return;
  const halfCache = params.keyCache.dtype === 'f16';
  const kvUnits = halfCache ? kvElements / 2 : kvElements;
  const op = 'ropeAppend';
  context.recorder.dispatch(
    context.pipelines.get('rope-append', 'main', { HALF: params.style === 'half', HALF_CACHE: halfCache }),
    [
      context.binding(params.q, op, 'q'),
      context.binding(params.k, op, 'k'),
      context.binding(params.v, op, 'v'),
      context.binding(params.positions, op, 'positions'),
      context.ropeFrequencies(params.theta, D, params.inverseFrequencies),
      context.binding(params.qOut, op, 'qOut'),
      context.binding(params.keyCache, op, 'keyCache'),
      context.binding(params.valueCache, op, 'valueCache'),
    ],
    [u32(qUnits), u32(kvUnits), u32(D), u32(nHeads), u32(nKvHeads), u32(T), u32(S), u32(start)],
    grid(Math.ceil((qUnits + 2 * kvUnits) / WORKGROUP_SIZE)),
  );
}

import type { EmbeddingBackwardParams } from '../../training-ops.js';
import { checkEmbeddingBackward } from '../../validate-training.js';
import { grid, u32, type OpContext } from './op-context.js';

/** dtable += dout scattered by id: a workgroup per table row (see embedding-backward.wgsl). */
export function embeddingBackward(context: OpContext, params: EmbeddingBackwardParams): void {
  const { N, V, C } = checkEmbeddingBackward(params);
  if (N * V * C === 0) return;
  const op = 'embeddingBackward';
  context.recorder.dispatch(
    context.pipelines.get('embedding-backward'),
    [context.binding(params.ids, op, 'ids'), context.binding(params.dout, op, 'dout'), context.binding(params.dtable, op, 'dtable')],
    [N, V, C].map(u32),
    grid(V),
  );
}

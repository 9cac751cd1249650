import type { EmbeddingParams } from '../../ops.js';
import { checkEmbedding } from '../../validate.js';
import { WORKGROUP_SIZE, grid, u32, type OpContext } from './op-context.js';

/** One dispatch per row part of the table (see embedding.wgsl). */
export function embedding(context: OpContext, params: EmbeddingParams): void {
  const { N, V, C } = checkEmbedding(params);
  const size = N * C;
  if (size === 0) return;
  const ids = context.binding(params.ids, 'embedding', 'ids');
  const out = context.binding(params.out, 'embedding', 'out');
  const pipeline = context.pipelines.get('embedding', 'main', { WEIGHT_FN: `weight_${params.table.dtype}` });
  context.storage(params.table).parts.forEach((part, index) => {
    context.recorder.dispatch(
      pipeline,
      [ids, { buffer: part.buffer, size: part.byteLength }, out],
      [size, C, V, part.rowBegin, part.rowCount, part.quantBase, index === 0 ? 1 : 0].map(u32),
      grid(Math.ceil(size / WORKGROUP_SIZE)),
    );
  });
}

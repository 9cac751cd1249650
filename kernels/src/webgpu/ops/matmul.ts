import { isQuantized } from '../../dtype.js';
import { ResourceLimitError } from '../../errors.js';
import type { MatmulParams, MatmulSwigluParams } from '../../ops.js';
import { checkMatmul, checkMatmulSwiglu, type MatmulDims } from '../../validate.js';
import type { Defines } from '../pipeline-cache.js';
import { u32, type OpContext } from './op-context.js';

const TILE = 64;
const MATVEC_ROWS_PER_GROUP = 8;

/**
 * matmul dispatch: the decode path (M = 1) streams B once through a matvec kernel; everything else
 * takes the 64×64 register-blocked tiled kernel. A weight split into row parts (transposeB, larger
 * than one binding) is one dispatch per part, each writing its own slice of output columns.
 */
export function matmul(context: OpContext, params: MatmulParams): void {
  product(context, 'matmul', params, checkMatmul(params), undefined);
}

/** matmul with the SwiGLU epilogue (epilogue-swiglu.wgsl): the same dispatches, one more binding. */
export function matmulSwiglu(context: OpContext, params: MatmulSwigluParams): void {
  const dims = checkMatmulSwiglu(params);
  product(context, 'matmulSwiglu', { ...params, transposeB: true }, dims, context.binding(params.gate, 'matmulSwiglu', 'gate'));
}

function product(context: OpContext, op: string, params: MatmulParams, dims: MatmulDims, gate: GPUBufferBinding | undefined): void {
  const { batch, M, N, K, broadcastB } = dims;
  const { out, a, b, transposeB } = params;
  const aBinding = context.binding(a, op, 'a');
  const outBinding = context.binding(out, op, 'out');
  const { parts } = context.storage(b);
  const bBatch = b.rank === 3 ? b.shape[0]! : 1;
  if (parts.length > 1 && (!transposeB || bBatch > 1)) {
    throw new ResourceLimitError(
      `${op}: b ${b} is larger than one storage binding and is only splittable as a 2D [N, K] weight with transposeB`,
      'store large weights in the linear-layer layout [N, K] and pass transposeB: true',
    );
  }
  const bBatchStride = broadcastB || bBatch === 1 ? 0 : N * K;
  const weightFn = `weight_${b.dtype}`;

  for (const part of parts) {
    // Parts exist only for 2D weights [N, K], where a part's rows are output columns.
    const split = parts.length > 1;
    const nBegin = split ? part.rowBegin : 0;
    const nCount = split ? part.rowCount : N;
    if (nCount === 0) continue;
    const uniforms = [M, N, K, nBegin, nCount, M * K, bBatchStride, M * N, part.quantBase].map(u32);
    const bindings = [aBinding, { buffer: part.buffer, size: part.byteLength }, outBinding, gate];
    const epilogue: Defines = gate ? { SWIGLU: true } : {};
    if (M === 1 && transposeB) {
      const pipeline = isQuantized(b.dtype)
        ? context.pipelines.get('matvec-quant', 'main', { QUANT: b.dtype, ...epilogue })
        : context.pipelines.get('matvec', 'main', { WEIGHT_FN: weightFn, ...epilogue });
      context.recorder.dispatch(pipeline, bindings, uniforms, [Math.ceil(nCount / MATVEC_ROWS_PER_GROUP), 1, batch]);
    } else if (M === 1) {
      const pipeline = context.pipelines.get('matvec', 'main_kn', { WEIGHT_FN: weightFn });
      context.recorder.dispatch(pipeline, bindings, uniforms, [Math.ceil(nCount / 256), 1, batch]);
    } else {
      const pipeline = context.pipelines.get('matmul', 'main', { WEIGHT_FN: weightFn, TRANSPOSE_A: false, TRANSPOSE_B: transposeB, ACCUMULATE: false, PART_OF_K: false, ...epilogue });
      context.recorder.dispatch(pipeline, bindings, uniforms, [Math.ceil(nCount / TILE), Math.ceil(M / TILE), batch]);
    }
  }
}

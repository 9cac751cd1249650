import { ResourceLimitError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { MatmulBackwardParams } from '../../training-ops.js';
import type { MatmulDims } from '../../validate.js';
import { checkMatmulBackward } from '../../validate-training.js';
import { u32, type OpContext } from './op-context.js';

const TILE = 64;

/** One product of the tiled kernel (matmul.wgsl), added into `out`. Dimensions are the product's own. */
interface Product {
  out: GPUBufferBinding;
  a: GPUBufferBinding;
  b: GPUBufferBinding;
  /** batches; strides are per batch, 0 to broadcast */
  batch: number;
  M: number;
  N: number;
  K: number;
  strides: { a: number; b: number; out: number };
  /** A stored [K, M] instead of [M, K] */
  transposeA: boolean;
  /** B stored [N, K] instead of [K, N] */
  transposeB: boolean;
}

function accumulateProduct(context: OpContext, p: Product): void {
  const pipeline = context.pipelines.get('matmul', 'main', {
    WEIGHT_FN: 'weight_f32',
    TRANSPOSE_A: p.transposeA,
    TRANSPOSE_B: p.transposeB,
    ACCUMULATE: true,
    PART_OF_K: false,
  });
  const uniforms = [p.M, p.N, p.K, 0, p.N, p.strides.a, p.strides.b, p.strides.out, 0].map(u32);
  context.recorder.dispatch(pipeline, [p.a, p.b, p.out], uniforms, [Math.ceil(p.N / TILE), Math.ceil(p.M / TILE), p.batch]);
}

/**
 * da [batch, M, K] += dout [batch, M, N] · W [N, K], W in its stored layout and any weight dtype:
 * the tiled kernel's product out [M, N'] += A [M, K'] · B [K', N'] with N' = K, K' = N and B = W read
 * untransposed. A frozen f16/bf16/Q8_0/Q4_0 weight is decoded in the kernel, and a W split over
 * several bindings is one dispatch per part of its rows (PART_OF_K), each adding its share.
 */
function storedWeightInputGradient(context: OpContext, weight: Tensor, da: GPUBufferBinding, dout: GPUBufferBinding, dims: MatmulDims): void {
  const { batch, M, N, K, broadcastB } = dims;
  const { parts } = context.storage(weight);
  if (parts.length > 1 && weight.rank === 3) {
    throw new ResourceLimitError(
      `matmulBackward: b ${weight} is larger than one storage binding and is only splittable as a 2D [N, K] weight`,
      'store large weights in the linear-layer layout [N, K] and pass transposeB: true',
    );
  }
  // A weight shared by every batch: the batches are just more rows of one product.
  const [groups, rows] = broadcastB || batch === 1 ? [1, batch * M] : [batch, M];
  const pipeline = context.pipelines.get('matmul', 'main', {
    WEIGHT_FN: `weight_${weight.dtype}`,
    TRANSPOSE_A: false,
    TRANSPOSE_B: false,
    ACCUMULATE: true,
    PART_OF_K: true,
  });
  for (const part of parts) {
    // A part's rows are rows of W only for a split 2D weight; a whole [batch, N, K] W counts N per batch.
    const [rowBegin, rowCount] = parts.length > 1 ? [part.rowBegin, part.rowCount] : [0, N];
    if (rowCount === 0) continue;
    // Params in the product's names: M, N' = K, K' = N, the part's rows of W, strides of dout, W, da.
    const uniforms = [rows, K, N, rowBegin, rowCount, M * N, groups > 1 ? N * K : 0, M * K, part.quantBase].map(u32);
    const w = { buffer: part.buffer, size: part.byteLength };
    context.recorder.dispatch(pipeline, [dout, w, da], uniforms, [Math.ceil(K / TILE), Math.ceil(rows / TILE), groups]);
  }
}

/**
 * dA += dY · Bᵀ (or dY · B when B is stored [N, K]) and dB += Aᵀ · dY (or dYᵀ · A), each one
 * dispatch of the forward's 64×64 workgroup-tiled kernel with transposed-operand variants, adding
 * straight into the gradient: no transposed copies, no temporaries. A B broadcast over the batch
 * gets one dB whose inner dimension runs over batch · M rows. With B stored [N, K] (transposeB),
 * dA comes from the PART_OF_K variant, which also takes a frozen non-f32 or split B.
 */
export function matmulBackward(context: OpContext, params: MatmulBackwardParams): void {
  const { batch, M, N, K, broadcastB } = checkMatmulBackward(params);
  if (batch * M * N * K === 0) return;
  const { da, db, transposeB } = params;
  const dout = context.binding(params.dout, 'matmulBackward', 'dout');
  const a = context.binding(params.a, 'matmulBackward', 'a');
  const bStride = broadcastB || batch === 1 ? 0 : N * K;
  if (da && transposeB) {
    storedWeightInputGradient(context, params.b, context.binding(da, 'matmulBackward', 'da'), dout, { batch, M, N, K, broadcastB });
  } else if (da) {
    accumulateProduct(context, {
      out: context.binding(da, 'matmulBackward', 'da'),
      a: dout,
      b: context.binding(params.b, 'matmulBackward', 'b'),
      batch,
      M,
      N: K,
      K: N,
      strides: { a: M * N, b: bStride, out: M * K },
      transposeA: false,
      // B [K, N] is read as the product's [N', K'] = Bᵀ; B [N, K] is the product's plain [K', N'].
      transposeB: !transposeB,
    });
  }
  if (db) {
    const single = bStride === 0;
    const [groups, rows] = single ? [1, batch * M] : [batch, M];
    const out = context.binding(db, 'matmulBackward', 'db');
    // Aᵀ · dY = [K, rows] · [rows, N], or dYᵀ · A = [N, rows] · [rows, K] when B is stored [N, K].
    const [left, right, leftWidth, rightWidth] = transposeB ? [dout, a, N, K] : [a, dout, K, N];
    accumulateProduct(context, {
      out,
      a: left,
      b: right,
      batch: groups,
      M: leftWidth,
      N: rightWidth,
      K: rows,
      strides: { a: rows * leftWidth, b: rows * rightWidth, out: leftWidth * rightWidth },
      transposeA: true,
      transposeB: false,
    });
  }
}

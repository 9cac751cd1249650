import { BLOCK, DTYPE_Q4_0 } from '../common/decode';
import { align16, min32, partStart } from '../common/simd';
import {
  PAIR_ACTIVATION_BYTES,
  PAIR_WEIGHT_BYTES,
  QUAD_ACTIVATION_BYTES,
  QUAD_WEIGHT_BYTES,
  packQuantizedActivations,
  packQuantizedWeights,
} from './pack-quantized';
import { kernel4x8 } from './quantized-kernels';

/**
 * out[M, N] = a[M, K] · W[N, K]ᵀ for Q8_0 / Q4_0 weights and M ≥ 4 (prefill), with integer dot
 * products as llama.cpp does: the activation rows are quantized to int8 blocks once per call, the
 * weights stay integers, and each 32-element block of an output tile costs integer dots plus one
 * f32 multiply-add per 4 outputs (scale = d_weight · d_activation).
 *
 * Threads split the weight rows in groups of 4. Each thread quantizes every activation row into
 * its own scratch (M·K values, small next to the M·N·K products, and no barrier needed), then, per
 * pair of groups: packs their 8 rows into two panels (see pack-quantized.ts; ≤ 2 × 48 KiB at
 * K = 5632) and runs the 4×8 micro-kernel (quantized-kernels.ts) against every 4-row activation
 * sliver, so each weight byte is read from memory once and each activation load serves 8 weight rows.
 */
/** Q4_0 with the relaxed int8 dot, otherwise the widened i16 pair layout. */
// @ts-ignore: decorator
@inline
function usesQuads(dtype: i32): bool {
  return ASC_FEATURE_RELAXED_SIMD && dtype == DTYPE_Q4_0;
}

/**
 * Rows per pass: the quantized activations of this many rows stay in each thread's scratch (1.7 MiB
 * at K = 5632 for Q4_0, 2.9 MiB for Q8_0), so scratch stays bounded however many rows a call has;
 * a longer A costs one more packing of the weights per 256 rows (~2% of the pass).
 */
const ROWS_PER_PASS: i32 = 256;

export function quantizedMatmulScratchBytes(M: i32, K: i32, dtype: i32): i32 {
  const blocks = K / BLOCK;
  const quads = usesQuads(dtype);
  const slivers = (min32(M, ROWS_PER_PASS) + 3) >> 2;
  const activations = slivers * blocks * (quads ? QUAD_ACTIVATION_BYTES : PAIR_ACTIVATION_BYTES);
  return align16(activations) + 2 * blocks * (quads ? QUAD_WEIGHT_BYTES : PAIR_WEIGHT_BYTES);
}

/** Rows [0, M) of one batch, weight rows of this thread's share; `work` is the thread's scratch. */
export function quantizedMatmul(
  thread: i32, threads: i32, out: usize, a: usize, w: usize, dtype: i32, rowBytes: usize, M: i32, N: i32, K: i32, work: usize,
): void {
  const groups = (N + 3) >> 2;
  const g0 = partStart(groups, thread, threads);
  const g1 = partStart(groups, thread + 1, threads);
  if (g0 >= g1) return;
  for (let r0 = 0; r0 < M; r0 += ROWS_PER_PASS) {
    const rows = min32(ROWS_PER_PASS, M - r0);
    rowPass(out + <usize>r0 * (<usize>N << 2), a + <usize>r0 * (<usize>K << 2), w, dtype, rowBytes, rows, N, K, g0, g1, work);
  }
}

/** Activation rows [0, M) (M ≤ ROWS_PER_PASS) against weight groups [g0, g1). */
function rowPass(out: usize, a: usize, w: usize, dtype: i32, rowBytes: usize, M: i32, N: i32, K: i32, g0: i32, g1: i32, work: usize): void {
  const blocks = K / BLOCK;
  const quads = usesQuads(dtype);
  const slivers = (M + 3) >> 2;
  const sliverBytes = <usize>blocks * <usize>(quads ? QUAD_ACTIVATION_BYTES : PAIR_ACTIVATION_BYTES);
  const panel = work + <usize>align16(slivers * <i32>sliverBytes);
  const outStride = <usize>N << 2;
  packQuantizedActivations(a, <usize>K << 2, M, K, quads, work);
  // Groups in pairs: 4 activation rows × 8 weight rows per kernel call; a last odd group runs with
  // its panel as both halves of the tile.
  const second = panel + <usize>blocks * <usize>(quads ? QUAD_WEIGHT_BYTES : PAIR_WEIGHT_BYTES);
  for (let g = g0; g < g1; g += 2) {
    const n0 = g << 2;
    const columns = min32(min32(8, (g1 - g) << 2), N - n0);
    packQuantizedWeights(w, dtype, rowBytes, n0, min32(4, columns), blocks, quads, panel);
    if (columns > 4) packQuantizedWeights(w, dtype, rowBytes, n0 + 4, columns - 4, blocks, quads, second);
    const panelB = columns > 4 ? second : panel;
    for (let s = 0; s < slivers; s++) {
      const activations = work + <usize>s * sliverBytes;
      const target = out + <usize>(s << 2) * outStride + (<usize>n0 << 2);
      const rows = min32(4, M - (s << 2));
      if (quads) kernel4x8<i8>(activations, panel, panelB, blocks, target, outStride, rows, columns);
      else kernel4x8<i16>(activations, panel, panelB, blocks, target, outStride, rows, columns);
    }
  }
}

import { BLOCK, DTYPE_Q4_0 } from '../common/decode';
import { align16, min32, partStart } from '../common/simd';
import { chunkCount, claimChunk } from '../common/work-queue';
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
 * Threads claim chunks of weight rows (in pairs of 4-row groups, see work-queue.ts). A thread
 * quantizes the activation rows of a pass into its own scratch when it claims its first chunk of
 * that pass (M·K values, small next to the M·N·K products, and no barrier needed), then, per pair
 * of groups: packs their 8 rows into two panels (see pack-quantized.ts; ≤ 2 × 48 KiB at K = 5632)
 * and runs the 4×8 micro-kernel (quantized-kernels.ts) against every 4-row activation sliver, so
 * each weight byte is read from memory once and each activation load serves 8 weight rows.
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

/**
 * Every batch of out[batch, M, N] = a · Wᵀ: claims walk (batch, pass of ROWS_PER_PASS rows, chunk
 * of weight-group pairs) in order, so a thread packs each pass's activations once at most.
 */
export function quantizedMatmul(
  threads: i32, out: usize, a: usize, w: usize, batch: i32, outBatchBytes: usize, aBatchBytes: usize, wBatchBytes: usize,
  dtype: i32, rowBytes: usize, M: i32, N: i32, K: i32, work: usize, counter: usize,
): void {
  const groups = (N + 3) >> 2;
  const pairs = (groups + 1) >> 1;
  const chunks = chunkCount(pairs, threads);
  const passes = (M + ROWS_PER_PASS - 1) / ROWS_PER_PASS;
  const claims = batch * passes * chunks;
  let packed = -1;
  for (let claim = claimChunk(counter); claim < claims; claim = claimChunk(counter)) {
    const run = claim / chunks; // batch * passes + pass
    const chunk = claim % chunks;
    const p = run / passes;
    const r0 = (run % passes) * ROWS_PER_PASS;
    const rows = min32(ROWS_PER_PASS, M - r0);
    const g0 = partStart(pairs, chunk, chunks) << 1;
    const g1 = min32(groups, partStart(pairs, chunk + 1, chunks) << 1);
    rowPass(
      out + <usize>p * outBatchBytes + <usize>r0 * (<usize>N << 2), a + <usize>p * aBatchBytes + <usize>r0 * (<usize>K << 2),
      w + <usize>p * wBatchBytes, dtype, rowBytes, rows, N, K, g0, g1, work, run != packed,
    );
    packed = run;
  }
}

/**
 * Activation rows [0, M) (M ≤ ROWS_PER_PASS) against weight groups [g0, g1) (g0 even); `pack` is
 * false when `work` already holds these rows quantized.
 */
function rowPass(out: usize, a: usize, w: usize, dtype: i32, rowBytes: usize, M: i32, N: i32, K: i32, g0: i32, g1: i32, work: usize, pack: bool): void {
  const blocks = K / BLOCK;
  const quads = usesQuads(dtype);
  const slivers = (M + 3) >> 2;
  const sliverBytes = <usize>blocks * <usize>(quads ? QUAD_ACTIVATION_BYTES : PAIR_ACTIVATION_BYTES);
  const panel = work + <usize>align16(slivers * <i32>sliverBytes);
  const outStride = <usize>N << 2;
  if (pack) packQuantizedActivations(a, <usize>K << 2, M, K, quads, work);
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

import { DTYPE_F32, DTYPE_Q4_0, DTYPE_Q8_0, rowBytes } from '../common/decode';
import { align16, min32, partStart } from '../common/simd';
import { chunkCount, claimChunk } from '../common/work-queue';
import { matvecF32, matvecTransposedF32, matvecTransposedHalf } from './matvec';
import { matvecQuantized, quantizeActivation, quantizedActivationBytes } from './matvec-quantized';
import { quantizedMatmul, quantizedMatmulScratchBytes } from './matmul-quantized';
import { MR, NR, edgeTile, microKernel4x8 } from './micro-kernel';
import { packA, packB, packTransposedB } from './pack';

/**
 * out[batch, M, N] = a[batch, M, K] · b (b: [K, N] f32, or [N, K] in any weight dtype when
 * transposed). Matvecs (M < 4) and the integer path claim chunks of output columns dynamically
 * (work-queue.ts); the f32 blocked path splits columns (or rows when there are few columns)
 * statically, since each of its ranges repacks all of A and more ranges would cost more packing.
 *
 * From M = 4 rows on, the GotoBLAS/BLIS scheme: a KC×NC block of B packed into NR-wide panels
 * (≤ 1 MiB, L2/L3), an MC×KC block of A packed into MR-row slivers (128 KiB, L2), and the 4×8
 * micro-kernel walking one B panel (8 KiB, L1) against every A sliver. Below 4 rows the packing
 * would cost as much as the product, so each row is a matvec that streams the weights once.
 * Q8_0 / Q4_0 weights from 4 rows on take the integer path instead (matmul-quantized.ts).
 */
const KC: i32 = 256; // a multiple of 32 so quantized blocks never straddle two K blocks
const MC: i32 = 128;
const NC: i32 = 1024;
const SMALL_M: i32 = 4;

/** Scratch bytes each thread needs for `matmul` with these dimensions. */
export function matmulScratchBytes(M: i32, N: i32, K: i32, dtype: i32): i32 {
  const quantized = dtype == DTYPE_Q8_0 || dtype == DTYPE_Q4_0;
  if (M < SMALL_M) return quantized ? quantizedActivationBytes(K) : 16;
  if (quantized) return quantizedMatmulScratchBytes(M, K, dtype);
  return align16(MC * KC * 4) + KC * NC * 4 + NR * KC * 4 + 128;
}

export function matmul(
  thread: i32, threads: i32,
  out: usize, a: usize, b: usize,
  batch: i32, M: i32, N: i32, K: i32,
  transposeB: bool, broadcastB: bool, dtype: i32,
  scratch: usize, scratchStride: usize, counter: usize,
): void {
  const work = scratch + <usize>thread * scratchStride;
  const bRowBytes = <usize>(transposeB ? rowBytes(dtype, K) : N * 4);
  const bBatchBytes: usize = broadcastB ? 0 : <usize>(transposeB ? N : K) * bRowBytes;
  const aBatchBytes = <usize>M * <usize>K * 4;
  const outBatchBytes = <usize>M * <usize>N * 4;
  if (M < SMALL_M) {
    // Claims walk (row, column chunk) in order, so a thread quantizes each activation row once at most.
    // Columns go in groups of 16 (the widest matvec block) so chunks never split a block.
    const groups = (N + 15) >> 4;
    const chunks = chunkCount(groups, threads);
    const claims = batch * M * chunks;
    let activeRow = -1;
    for (let claim = claimChunk(counter); claim < claims; claim = claimChunk(counter)) {
      const r = claim / chunks;
      const chunk = claim % chunks;
      const p = r / M;
      const i = r % M;
      const row = a + <usize>p * aBatchBytes + <usize>i * (<usize>K << 2);
      const target = out + <usize>p * outBatchBytes + <usize>i * (<usize>N << 2);
      const n0 = min32(N, partStart(groups, chunk, chunks) << 4);
      const n1 = min32(N, partStart(groups, chunk + 1, chunks) << 4);
      matvecRow(target, row, b + <usize>p * bBatchBytes, dtype, transposeB, N, K, n0, n1, work, r != activeRow);
      activeRow = r;
    }
    return;
  }
  if (transposeB && (dtype == DTYPE_Q8_0 || dtype == DTYPE_Q4_0)) {
    quantizedMatmul(threads, out, a, b, batch, outBatchBytes, aBatchBytes, bBatchBytes, dtype, bRowBytes, M, N, K, work, counter);
    return;
  }
  const panels = (N + NR - 1) / NR;
  const slivers = (M + MR - 1) / MR;
  let r0 = 0, r1 = M, c0 = 0, c1 = N;
  if (panels >= slivers || panels >= threads * 8) {
    c0 = min32(N, partStart(panels, thread, threads) * NR);
    c1 = min32(N, partStart(panels, thread + 1, threads) * NR);
  } else {
    r0 = min32(M, partStart(slivers, thread, threads) * MR);
    r1 = min32(M, partStart(slivers, thread + 1, threads) * MR);
  }
  if (r0 >= r1 || c0 >= c1) return;
  for (let p = 0; p < batch; p++) {
    blockedMatmul(
      out + <usize>p * outBatchBytes, a + <usize>p * aBatchBytes, b + <usize>p * bBatchBytes,
      dtype, transposeB, bRowBytes, N, K, r0, r1, c0, c1, work,
    );
  }
}

/** Columns [n0, n1) of one row; `newRow` is false when `work` already holds this row quantized. */
function matvecRow(
  out: usize, a: usize, b: usize, dtype: i32, transposeB: bool, N: i32, K: i32, n0: i32, n1: i32, work: usize, newRow: bool,
): void {
  if (!transposeB) {
    matvecF32(out, a, b, K, N, n0, n1);
  } else if (dtype == DTYPE_F32) {
    matvecTransposedF32(out, a, b, K, n0, n1);
  } else if (dtype == DTYPE_Q8_0 || dtype == DTYPE_Q4_0) {
    if (newRow) quantizeActivation(a, K, work);
    matvecQuantized(out, b, dtype, K, n0, n1, work);
  } else {
    matvecTransposedHalf(out, a, b, dtype, K, n0, n1);
  }
}

/** Rows [r0, r1) × columns [c0, c1) of one batch; r0 and c0 are multiples of MR and NR. */
function blockedMatmul(
  out: usize, a: usize, b: usize, dtype: i32, transposeB: bool, bRowBytes: usize,
  N: i32, K: i32, r0: i32, r1: i32, c0: i32, c1: i32, work: usize,
): void {
  const packedA = work;
  const packedB = packedA + <usize>align16(MC * KC * 4);
  const decoded = packedB + <usize>(KC * NC * 4);
  const tile = decoded + <usize>(NR * KC * 4);
  const outStride = <usize>N << 2;
  const aStride = <usize>K << 2;
  for (let jc = c0; jc < c1; jc += NC) {
    const nc = min32(NC, c1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min32(KC, K - pc);
      const accumulate = pc > 0;
      if (transposeB) packTransposedB(b, dtype, bRowBytes, pc, kc, jc, nc, packedB, decoded);
      else packB(b, N, pc, kc, jc, nc, packedB);
      for (let ic = r0; ic < r1; ic += MC) {
        const mc = min32(MC, r1 - ic);
        packA(a + <usize>ic * aStride + (<usize>pc << 2), aStride, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min32(NR, nc - jr);
          const panel = packedB + <usize>jr * <usize>kc * 4;
          let c = out + <usize>ic * outStride + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const sliver = packedA + <usize>ir * <usize>kc * 4;
            const mr = min32(MR, mc - ir);
            if (mr == MR && nr == NR) microKernel4x8(kc, sliver, panel, c, outStride, accumulate);
            else edgeTile(kc, sliver, panel, c, outStride, mr, nr, accumulate, tile);
            c += outStride << 2;
          }
        }
      }
    }
  }
}

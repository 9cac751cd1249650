import { BLOCK, decodeRow, rowBytes } from '../common/decode';
import { align16, madd, min32, partStart } from '../common/simd';
import { storeTile4x8 } from '../matmul/micro-kernel';

/**
 * da[rows, K] += dout[rows, N] · W[N, K]: the input gradient through a frozen weight stored [N, K]
 * in any weight dtype (f16, bf16, Q8_0, Q4_0; a QLoRA base), read in its stored rows.
 *
 * The forward's GotoBLAS scheme with W as the packed operand: for a KC-column slice of da and NC
 * rows of W, each row's KC elements are decoded once (whole blocks, in registers) into KC/8 panels
 * of NC × 8 floats (NC·KC·4 = 256 KiB, L2); a 4×8 tile of da then stays in registers while its
 * panel (8 KiB, L1) meets four rows of dout read in place (four sequential streams, no packing).
 * Threads split da's columns in groups of 32 (whole quant blocks): each element has one owner and
 * one summation order, so results are bit-identical for every thread count.
 */
const KC: i32 = 256; // da columns per slice: a multiple of 32 so quant blocks never straddle two
const NC: i32 = 256; // rows of W per packed block
const MC: i32 = 128; // rows of dout per pass over a panel block (128 KiB of dout, L2)
const NR: i32 = 8;

/** Scratch bytes each thread needs: the panel block, one decoded row segment, an edge tile. */
export function frozenWeightGradientScratchBytes(): i32 {
  return align16(NC * KC * 4) + align16((KC + NR) * 4) + 4 * NR * 4;
}

export function frozenWeightGradient(
  thread: i32, threads: i32,
  da: usize, dout: usize, weight: usize,
  rows: i32, N: i32, K: i32, dtype: i32,
  scratch: usize, scratchStride: usize,
): void {
  const groups = (K + BLOCK - 1) / BLOCK;
  const c0 = min32(K, partStart(groups, thread, threads) * BLOCK);
  const c1 = min32(K, partStart(groups, thread + 1, threads) * BLOCK);
  if (c0 >= c1 || rows == 0) return;
  const panels = scratch + <usize>thread * scratchStride;
  const segment = panels + <usize>align16(NC * KC * 4);
  const tile = segment + <usize>align16((KC + NR) * 4);
  const weightRowBytes = <usize>rowBytes(dtype, K);
  const dStride = <usize>N << 2;
  for (let jc = c0; jc < c1; jc += KC) {
    const kc = min32(KC, c1 - jc);
    const panelCount = (kc + NR - 1) / NR;
    for (let pc = 0; pc < N; pc += NC) {
      const nc = min32(NC, N - pc);
      packPanels(weight + <usize>pc * weightRowBytes, weightRowBytes, dtype, nc, jc, kc, panels, segment);
      for (let ic = 0; ic < rows; ic += MC) {
        const mc = min32(MC, rows - ic);
        for (let jr = 0; jr < panelCount; jr++) {
          const panel = panels + <usize>jr * <usize>nc * (NR << 2);
          const columns = min32(NR, kc - jr * NR);
          for (let ir = ic; ir < ic + mc; ir += 4) {
            const d = dout + (<usize>ir * <usize>N + <usize>pc) * 4;
            const c = da + (<usize>ir * <usize>K + <usize>(jc + jr * NR)) * 4;
            const count = min32(4, rows - ir);
            if (count == 4 && columns == NR) tile4x8(nc, d, dStride, 2 * dStride, 3 * dStride, panel, c, <usize>K << 2);
            else edgeTile(nc, d, dStride, panel, c, <usize>K << 2, count, columns, tile);
          }
        }
      }
    }
  }
}

/**
 * Decodes elements [k0, k0 + kc) of `count` rows of W into panels of NR columns: panel j holds
 * `count` groups of NR floats (row n's columns k0 + 8j .. + 7), zero past the last column.
 */
function packPanels(rows: usize, rowStride: usize, dtype: i32, count: i32, k0: i32, kc: i32, out: usize, segment: usize): void {
  const panelBytes = <usize>count * (NR << 2);
  const padded = (kc + NR - 1) / NR * NR;
  if (padded > kc) memory.fill(segment + (<usize>kc << 2), 0, <usize>(padded - kc) << 2);
  for (let n = 0; n < count; n++) {
    decodeRow(dtype, rows + <usize>n * rowStride, k0, kc, segment);
    let target = out + (<usize>n << 5);
    for (let j = 0; j < padded; j += NR) {
      const source = segment + (<usize>j << 2);
      v128.store(target, v128.load(source));
      v128.store(target, v128.load(source, 16), 16);
      target += panelBytes;
    }
  }
}

/**
 * C[4×8] += D[4×count] · P[count×8]: the tile of da stays in 8 accumulators (+ 2 panel vectors + 1
 * broadcast = 11 registers, under V8's 15 on x64, as the forward's micro-kernel) while the four
 * dout rows (at d, d + d1, d + d2, d + d3) are read in place, one float each per step.
 */
function tile4x8(count: i32, d: usize, d1: usize, d2: usize, d3: usize, panel: usize, c: usize, cStride: usize): void {
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = v128.load(c + cStride), c11 = v128.load(c + cStride, 16);
  let c20 = v128.load(c + 2 * cStride), c21 = v128.load(c + 2 * cStride, 16);
  let c30 = v128.load(c + 3 * cStride), c31 = v128.load(c + 3 * cStride, 16);
  for (let p = 0; p < count; p++) {
    const b0 = v128.load(panel);
    const b1 = v128.load(panel, 16);
    let x = v128.load32_splat(d);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(d + d1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(d + d2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(d + d3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    d += 4;
    panel += 32;
  }
  storeTile4x8(c, cStride, c00, c01, c10, c11, c20, c21, c30, c31);
}

/**
 * Fewer than 4 rows or 8 columns: the `rows` × `columns` corner of da goes through a zero-padded
 * 4×8 tile (stride 32 bytes). Missing dout rows read the first row again; their results are dropped.
 */
function edgeTile(count: i32, d: usize, dStride: usize, panel: usize, c: usize, cStride: usize, rows: i32, columns: i32, tile: usize): void {
  memory.fill(tile, 0, 4 * NR * 4);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < columns; j++) store<f32>(tile + (<usize>(r * NR + j) << 2), load<f32>(c + <usize>r * cStride + (<usize>j << 2)));
  }
  const d1: usize = rows > 1 ? dStride : 0;
  const d2: usize = rows > 2 ? 2 * dStride : 0;
  const d3: usize = rows > 3 ? 3 * dStride : 0;
  tile4x8(count, d, d1, d2, d3, panel, tile, NR << 2);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < columns; j++) store<f32>(c + <usize>r * cStride + (<usize>j << 2), load<f32>(tile + (<usize>(r * NR + j) << 2)));
  }
}

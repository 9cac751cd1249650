import { partStart } from '../common/simd';

/**
 * out[p, c, r] = x[p, r, c] for each of `batch` [rows, cols] matrices: the transposed operands of
 * the matmul backward (dB = Aᵀ·dY needs Aᵀ packed like a plain A). Threads take ranges of output
 * rows; 8×8 blocks keep both the reads and the writes within a few cache lines.
 */
const BLOCK: i32 = 8;

export function transpose(thread: i32, threads: i32, out: usize, x: usize, batch: i32, rows: i32, cols: i32): void {
  const units = batch * ((cols + BLOCK - 1) / BLOCK);
  const end = partStart(units, thread + 1, threads);
  const blocksPerBatch = (cols + BLOCK - 1) / BLOCK;
  for (let unit = partStart(units, thread, threads); unit < end; unit++) {
    const p = unit / blocksPerBatch;
    const c0 = (unit % blocksPerBatch) * BLOCK;
    const c1 = c0 + BLOCK < cols ? c0 + BLOCK : cols;
    const source = x + <usize>p * <usize>rows * <usize>cols * 4;
    const target = out + <usize>p * <usize>rows * <usize>cols * 4;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
      for (let c = c0; c < c1; c++) {
        const row = target + (<usize>c * <usize>rows << 2);
        for (let r = r0; r < r1; r++) store<f32>(row + (<usize>r << 2), load<f32>(source + ((<usize>r * <usize>cols + <usize>c) << 2)));
      }
    }
  }
}

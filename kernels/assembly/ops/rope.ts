import { madd, partStart } from '../common/simd';

/**
 * Rotary embedding from a cos/sin table the host computes in f64 (positions up to many thousands
 * keep full f32 accuracy, and no trig code or tables enter the module). Table rows, one per token,
 * are laid out for the style so both loops are plain vector code:
 *   half:        [cos_0 .. cos_{D/2−1}, sin_0 .. sin_{D/2−1}]
 *   interleaved: [cos_0, cos_0, cos_1, cos_1, ...] then [−sin_0, sin_0, −sin_1, sin_1, ...]   (2·D floats)
 * Threads take ranges of tokens.
 */
export function ropeTableFloats(D: i32, interleaved: bool): i32 {
  return interleaved ? 2 * D : D;
}

export function rope(
  thread: i32, threads: i32, out: usize, x: usize, table: usize, tokens: i32, nHeads: i32, D: i32, interleaved: bool,
): void {
  const rowBytes = <usize>D << 2;
  const half = D >> 1;
  const tableBytes = <usize>ropeTableFloats(D, interleaved) << 2;
  const end = partStart(tokens, thread + 1, threads);
  for (let token = partStart(tokens, thread, threads); token < end; token++) {
    const cosines = table + <usize>token * tableBytes;
    for (let h = 0; h < nHeads; h++) {
      const offset = <usize>(token * nHeads + h) * rowBytes;
      const source = x + offset;
      const target = out + offset;
      if (interleaved) {
        const sines = cosines + rowBytes;
        let d = 0;
        for (; d + 4 <= D; d += 4) {
          const at = <usize>d << 2;
          const values = v128.load(source + at);
          const swapped = v128.shuffle<f32>(values, values, 1, 0, 3, 2);
          v128.store(target + at, madd(swapped, v128.load(sines + at), f32x4.mul(values, v128.load(cosines + at))));
        }
        for (; d < D; d += 2) {
          const at = <usize>d << 2;
          const x0 = load<f32>(source + at);
          const x1 = load<f32>(source + at, 4);
          const c = load<f32>(cosines + at);
          const s = load<f32>(sines + at, 4);
          store<f32>(target + at, x0 * c - x1 * s);
          store<f32>(target + at, x0 * s + x1 * c, 4);
        }
      } else {
        const sines = cosines + (<usize>half << 2);
        const upper = <usize>half << 2;
        let i = 0;
        for (; i + 4 <= half; i += 4) {
          const at = <usize>i << 2;
          const x0 = v128.load(source + at);
          const x1 = v128.load(source + upper + at);
          const c = v128.load(cosines + at);
          const s = v128.load(sines + at);
          v128.store(target + at, f32x4.sub(f32x4.mul(x0, c), f32x4.mul(x1, s)));
          v128.store(target + upper + at, madd(x0, s, f32x4.mul(x1, c)));
        }
        for (; i < half; i++) {
          const at = <usize>i << 2;
          const x0 = load<f32>(source + at);
          const x1 = load<f32>(source + upper + at);
          const c = load<f32>(cosines + at);
          const s = load<f32>(sines + at);
          store<f32>(target + at, x0 * c - x1 * s);
          store<f32>(target + upper + at, x0 * s + x1 * c);
        }
      }
    }
  }
}

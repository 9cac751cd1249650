import type { CopyParams } from '../../ops.js';
import { checkCopy } from '../../validate.js';
import { WORKGROUP_SIZE, grid, u32, type OpContext } from './op-context.js';

/**
 * 4-byte elements move with copyBufferToBuffer; an f16 target (2-byte elements, whose offsets
 * need not meet the buffer copy's 4-byte alignment) goes through copy-half.wgsl, converting when
 * the source is f32.
 */
export function copy(context: OpContext, params: CopyParams): void {
  const { outOffset, xOffset, count } = checkCopy(params);
  if (count === 0) return;
  const source = context.binding(params.x, 'copy', 'x');
  const target = context.binding(params.out, 'copy', 'out');
  if (params.out.dtype !== 'f16') {
    context.recorder.copy(source.buffer, xOffset * 4, target.buffer, outOffset * 4, count * 4);
    return;
  }
  const firstWord = Math.floor(outOffset / 2);
  const words = Math.floor((outOffset + count - 1) / 2) - firstWord + 1;
  context.recorder.dispatch(
    context.pipelines.get('copy-half', params.x.dtype === 'f32' ? 'from_f32' : 'from_f16'),
    [source, target],
    [u32(count), u32(xOffset), u32(outOffset), u32(firstWord), u32(words)],
    grid(Math.ceil(words / WORKGROUP_SIZE)),
  );
}

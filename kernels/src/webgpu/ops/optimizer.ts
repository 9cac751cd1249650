import type { AdamWParams, FillParams, SumOfSquaresParams } from '../../training-ops.js';
import { checkAdamW, checkFill, checkSumOfSquares } from '../../validate-training.js';
import { WORKGROUP_SIZE, f32, grid, u32, type OpContext } from './op-context.js';

/** Elements per workgroup of the sum-of-squares partial pass (16 per invocation). */
const SQUARES_CHUNK = 16 * WORKGROUP_SIZE;

export function adamw(context: OpContext, params: AdamWParams): void {
  const op = 'adamw';
  const size = checkAdamW(params);
  if (size === 0) return;
  const { learningRate, beta1, beta2, eps, weightDecay, step, clip } = params;
  // Bias corrections in f64 on the host: β^step for step in the thousands loses digits in f32.
  const uniforms = [
    u32(size),
    u32(clip ? 1 : 0),
    f32(beta1),
    f32(beta2),
    f32(eps),
    f32(1 - learningRate * weightDecay),
    f32(learningRate / (1 - Math.pow(beta1, step))),
    f32(1 - Math.pow(beta2, step)),
    f32(params.gradScale ?? 1),
    f32(clip?.maxNorm ?? 0),
  ];
  context.recorder.dispatch(
    context.pipelines.get('adamw'),
    [
      context.binding(params.grads, op, 'grads'),
      clip ? context.binding(clip.sumOfSquares, op, 'clip.sumOfSquares') : context.scratch(4),
      context.binding(params.params, op, 'params'),
      context.binding(params.m, op, 'm'),
      context.binding(params.v, op, 'v'),
    ],
    uniforms,
    grid(Math.ceil(size / WORKGROUP_SIZE)),
  );
}

/** One partial dispatch per tensor into a shared scratch, then one total: a fixed reduction tree. */
export function sumOfSquares(context: OpContext, params: SumOfSquaresParams): void {
  checkSumOfSquares(params);
  const defines = { CHUNK: SQUARES_CHUNK };
  const chunks = params.tensors.map((tensor) => Math.ceil(tensor.size / SQUARES_CHUNK));
  const partialCount = chunks.reduce((sum, count) => sum + count, 0);
  const partials = context.scratch(partialCount * 4);
  let offset = 0;
  params.tensors.forEach((tensor, index) => {
    if (chunks[index] === 0) return;
    context.recorder.dispatch(
      context.pipelines.get('sum-of-squares', 'partial', defines),
      [context.binding(tensor, 'sumOfSquares', `tensors[${index}]`), partials],
      [u32(tensor.size), u32(offset), u32(partialCount)],
      grid(chunks[index]!),
    );
    offset += chunks[index]!;
  });
  context.recorder.dispatch(
    context.pipelines.get('sum-of-squares', 'total', defines),
    [undefined, partials, context.binding(params.out, 'sumOfSquares', 'out')],
    [u32(0), u32(0), u32(partialCount)],
    [1, 1, 1],
  );
}

/** Works on split tensors too: one dispatch per part. */
export function fill(context: OpContext, params: FillParams): void {
  checkFill(params);
  for (const part of context.storage(params.out).parts) {
    const size = part.rowCount * context.storage(params.out).rowLength;
    if (size === 0) continue;
    context.recorder.dispatch(
      context.pipelines.get('fill'),
      [{ buffer: part.buffer, size: part.byteLength }],
      [u32(size), f32(params.value)],
      grid(Math.ceil(size / WORKGROUP_SIZE)),
    );
  }
}

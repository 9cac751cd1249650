import type { CrossEntropyParams, DistillationLossParams } from '../../training-ops.js';
import { checkCrossEntropy, checkDistillationLoss } from '../../validate-training.js';
import { f32, grid, u32, type OpContext } from './op-context.js';

/** The fused losses of losses.wgsl: a row pass (loss per row + gradient), then a fixed-order total. */

const DIVERGENCE_CODES = { 'forward-kl': 0, 'reverse-kl': 1, jsd: 2 } as const;

interface LossSettings {
  rows: number;
  V: number;
  k?: number;
  hasGradient: boolean;
  hasMask?: boolean;
  divergence?: number;
  temperature?: number;
  beta?: number;
  dloss: number;
  lossScale: number;
}

function uniforms(s: LossSettings) {
  return [
    u32(s.rows),
    u32(s.V),
    u32(s.k ?? 0),
    u32(s.hasGradient ? 1 : 0),
    u32(s.hasMask ? 1 : 0),
    u32(s.divergence ?? 0),
    f32(s.temperature ?? 1),
    f32(s.beta ?? 0.5),
    f32(s.dloss),
    f32(s.lossScale),
  ];
}

/** The row pass's bindings 1-9 in order, then the total pass. Absent optional outputs get scratch. */
function runLoss(
  context: OpContext,
  entryPoint: string,
  settings: LossSettings,
  bindings: (GPUBufferBinding | undefined)[],
  loss: GPUBufferBinding,
): void {
  const rowLosses = context.scratch(settings.rows * 8); // [rows] (loss, counted)
  const parameters = uniforms(settings);
  if (settings.rows * settings.V > 0) {
    const all = [...bindings];
    all[6] = rowLosses;
    context.recorder.dispatch(context.pipelines.get('losses', entryPoint), all, parameters, grid(settings.rows));
  }
  // With no rows the total writes 0, as the contract says for "none counted".
  const total = [...new Array<undefined>(6), rowLosses, undefined, undefined, loss];
  context.recorder.dispatch(context.pipelines.get('losses', 'total'), total, settings.rows * settings.V > 0 ? parameters : uniforms({ ...settings, rows: 0 }), [1, 1, 1]);
}

export function crossEntropy(context: OpContext, params: CrossEntropyParams): void {
  const op = 'crossEntropy';
  const { rows, C } = checkCrossEntropy(params);
  const loss = context.binding(params.loss, op, 'loss');
  const settings = { rows, V: C, hasGradient: params.dlogits !== undefined, dloss: params.dloss ?? 1, lossScale: 1 };
  const dlogits = params.dlogits ? context.binding(params.dlogits, op, 'dlogits') : context.scratch(4);
  runLoss(context, 'cross_entropy', settings, [context.binding(params.logits, op, 'logits'), context.binding(params.targets, op, 'targets'), undefined, undefined, undefined, undefined, undefined, dlogits], loss);
}

export function distillationLoss(context: OpContext, params: DistillationLossParams): void {
  const op = 'distillationLoss';
  const { rows, C, k } = checkDistillationLoss(params);
  const { teacherLogits, teacherIndices, teacherLogprobs, mask, dlogits, temperature = 1 } = params;
  const loss = context.binding(params.loss, op, 'loss');
  const settings: LossSettings = {
    rows,
    V: C,
    k,
    hasGradient: dlogits !== undefined,
    hasMask: mask !== undefined,
    divergence: DIVERGENCE_CODES[params.divergence],
    temperature,
    beta: params.beta ?? 0.5,
    dloss: params.dloss ?? 1,
    lossScale: temperature * temperature,
  };
  const bindings: (GPUBufferBinding | undefined)[] = new Array(9).fill(undefined);
  bindings[0] = context.binding(params.logits, op, 'logits');
  bindings[5] = mask ? context.binding(mask, op, 'mask') : context.scratch(4);
  bindings[7] = dlogits ? context.binding(dlogits, op, 'dlogits') : context.scratch(4);
  if (teacherLogits) {
    bindings[2] = context.binding(teacherLogits, op, 'teacherLogits');
    runLoss(context, 'distill_full', settings, bindings, loss);
    return;
  }
  bindings[3] = context.binding(teacherIndices!, op, 'teacherIndices');
  bindings[4] = context.binding(teacherLogprobs!, op, 'teacherLogprobs');
  bindings[8] = context.scratch(rows * C * 4); // [rows, V] bucket of each token
  runLoss(context, 'distill_top_k', settings, bindings, loss);
}

import { ResourceLimitError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { AttentionBackwardParams, AttentionForTrainingParams } from '../../training-ops.js';
import { checkAttentionBackward, checkAttentionForTraining, type TrainingAttentionDims } from '../../validate-training.js';
import type { UniformField } from '../command-recorder.js';
import { WORKGROUP_SIZE, f32, grid, u32, type OpContext } from './op-context.js';

/** Each invocation keeps a few rows of D floats in registers: D is capped as in the forward. */
const MAX_HEAD_DIM = 256;

interface Setup {
  defines: { HEAD_DIM: number; BLOCK: number; SEGMENTS: boolean };
  uniforms: UniformField[];
  segmentIds: GPUBufferBinding;
}

function setup(context: OpContext, op: string, dims: TrainingAttentionDims, segmentIds: Tensor | undefined, scale: number): Setup {
  const { B, T, nHeads, nKvHeads, D } = dims;
  if (D > MAX_HEAD_DIM) {
    throw new ResourceLimitError(`${op}: head dimension ${D} exceeds the WebGPU kernel's maximum of ${MAX_HEAD_DIM}`, 'use backend "wasm" for this model');
  }
  // Two tiles of BLOCK rows × D floats and BLOCK (lse, Δ) pairs in workgroup memory.
  const block = [64, 32, 16, 8, 4, 2].find((size) => (2 * size * D + 2 * size) * 4 <= context.workgroupStorageBytes) ?? 1;
  return {
    defines: { HEAD_DIM: D, BLOCK: block, SEGMENTS: segmentIds !== undefined },
    uniforms: [u32(T), u32(nHeads), u32(nKvHeads), f32(scale), u32(B * nHeads * T)],
    // Without packing the kernel never reads segment ids, but the binding must exist.
    segmentIds: segmentIds ? context.binding(segmentIds, op, 'segmentIds') : context.scratch(4),
  };
}

/** Flash forward saving the logsumexp; a workgroup per BLOCK queries of one head. */
export function attentionForTraining(context: OpContext, params: AttentionForTrainingParams): void {
  const op = 'attentionForTraining';
  const dims = checkAttentionForTraining(params);
  const { B, T, nHeads } = dims;
  if (B * T * nHeads * dims.D === 0) return;
  const { defines, uniforms, segmentIds } = setup(context, op, dims, params.segmentIds, params.scale);
  context.recorder.dispatch(
    context.pipelines.get('attention-training', 'forward', defines),
    [
      context.binding(params.q, op, 'q'),
      context.binding(params.k, op, 'k'),
      context.binding(params.v, op, 'v'),
      segmentIds,
      context.binding(params.out, op, 'out'),
      context.binding(params.logsumexp, op, 'logsumexp'),
    ],
    uniforms,
    [Math.ceil(T / defines.BLOCK), nHeads, B],
  );
}

/**
 * FlashAttention-2 backward in three dispatches: per-row (lse, Δ = dout·out), then dq (a
 * workgroup per query tile of a head), then dk and dv (a workgroup per key tile of a KV head,
 * looping over the query heads that share it, so GQA needs no atomics).
 */
export function attentionBackward(context: OpContext, params: AttentionBackwardParams): void {
  const op = 'attentionBackward';
  const dims = checkAttentionBackward(params);
  const { B, T, nHeads, nKvHeads } = dims;
  if (B * T * nHeads * dims.D === 0) return;
  const { defines, uniforms, segmentIds } = setup(context, op, dims, params.segmentIds, params.scale);
  const q = context.binding(params.q, op, 'q');
  const k = context.binding(params.k, op, 'k');
  const v = context.binding(params.v, op, 'v');
  const dout = context.binding(params.dout, op, 'dout');
  const stats = context.scratch(B * nHeads * T * 8); // [B, nHeads, T] (lse, Δ)
  const rows = B * nHeads * T;
  const none = undefined;
  context.recorder.dispatch(
    context.pipelines.get('attention-training', 'prepare', defines),
    [none, none, none, none, context.binding(params.out, op, 'out'), context.binding(params.logsumexp, op, 'logsumexp'), dout, stats],
    uniforms,
    grid(Math.ceil(rows / WORKGROUP_SIZE)),
  );
  context.recorder.dispatch(
    context.pipelines.get('attention-training', 'dq_pass', defines),
    [q, k, v, segmentIds, none, none, dout, stats, context.binding(params.dq, op, 'dq')],
    uniforms,
    [Math.ceil(T / defines.BLOCK), nHeads, B],
  );
  context.recorder.dispatch(
    context.pipelines.get('attention-training', 'dkv_pass', defines),
    [q, k, v, segmentIds, none, none, dout, stats, none, context.binding(params.dk, op, 'dk'), context.binding(params.dv, op, 'dv')],
    uniforms,
    [Math.ceil(T / defines.BLOCK), nKvHeads, B],
  );
}

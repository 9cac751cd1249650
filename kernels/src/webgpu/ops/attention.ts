import type { DType } from '../../dtype.js';
import { ResourceLimitError } from '../../errors.js';
import type { AttentionParams } from '../../ops.js';
import { checkAttention } from '../../validate.js';
import { f32, u32, type OpContext } from './op-context.js';

/** Decode (split-KV) below this many queries per sequence; flash prefill from here up. */
const DECODE_MAX_QUERIES = 4;
/** Keys per split-KV workgroup (= its invocations). */
const DECODE_CHUNK = 64;
/** Workgroup memory holds a Q tile and a K and a V tile of D floats each: D is capped. */
const MAX_HEAD_DIM = 256;

/** How the shaders read k and v (key_at / value_at): f32 elements, or f16 pairs in u32 words. */
function kvDefines(dtype: DType) {
  if (dtype === 'f16') {
    return { KV_ELEMENT: 'u32', KEY_AT: 'unpack2x16float(k[i >> 1u])[i & 1u]', VALUE_AT: 'unpack2x16float(v[i >> 1u])[i & 1u]' };
  }
  return { KV_ELEMENT: 'f32', KEY_AT: 'k[i]', VALUE_AT: 'v[i]' };
}

export function attention(context: OpContext, params: AttentionParams): void {
  const { B, T, S, nHeads, nKvHeads, D, kvLength } = checkAttention(params);
  if (D > MAX_HEAD_DIM) {
    throw new ResourceLimitError(
      `attention: head dimension ${D} exceeds the WebGPU kernel's maximum of ${MAX_HEAD_DIM}`,
      'use backend "wasm" for this model',
    );
  }
  const q = context.binding(params.q, 'attention', 'q');
  const k = context.binding(params.k, 'attention', 'k');
  const v = context.binding(params.v, 'attention', 'v');
  const out = context.binding(params.out, 'attention', 'out');
  const common = [u32(T), u32(S), u32(nHeads), u32(nKvHeads), u32(kvLength), f32(params.scale)];

  if (T <= DECODE_MAX_QUERIES) {
    const splits = Math.ceil(kvLength / DECODE_CHUNK);
    const partials = context.scratch(B * T * nHeads * splits * (D + 2) * 4); // [B·T, nHeads, splits, D + 2]
    const defines = { HEAD_DIM: D, CHUNK: DECODE_CHUNK, ...kvDefines(params.k.dtype) };
    const uniforms = [...common, u32(splits)];
    context.recorder.dispatch(
      context.pipelines.get('attention-decode', 'split', defines),
      [q, k, v, partials],
      uniforms,
      [splits, nHeads, B * T],
    );
    context.recorder.dispatch(
      context.pipelines.get('attention-decode', 'reduce', defines),
      [undefined, undefined, undefined, partials, out],
      uniforms,
      [nHeads, B * T, 1],
    );
    return;
  }

  // Workgroup memory holds (BLOCK_Q + 2 · BLOCK_K) · D floats plus BLOCK_Q · BLOCK_K scores:
  // 16-query tiles up to D = 128 in 32 KiB, smaller tiles where less is available.
  const block = [16, 8, 4].find((size) => (3 * size * D + size * size) * 4 <= context.workgroupStorageBytes) ?? 4;
  context.recorder.dispatch(
    context.pipelines.get('attention', 'main', { HEAD_DIM: D, BLOCK_Q: block, BLOCK_K: block, ...kvDefines(params.k.dtype) }),
    [q, k, v, out],
    common,
    [Math.ceil(T / block), nHeads, B],
  );
}

/**
 * Hugging Face Llama checkpoints apply RoPE in the "half" layout (dimension i rotates with
 * i + D/2, `rotate_half`), while GGML's Llama path rotates adjacent pairs (2i, 2i + 1). llama.cpp's
 * convert_hf_to_gguf.py therefore permutes the rows of q_proj and k_proj inside each head
 * (`LlamaModel.permute`: reshape(n_head, 2, D/2, in).swapaxes(1, 2)), so that the interleaved
 * rotation of the permuted projection equals the half rotation of the original, up to the same
 * permutation of q and k, which leaves every q·k (and so attention) unchanged.
 * k_proj uses the KV head count. Qwen2 is converted without it: llama.cpp runs it in NEOX (half) mode.
 */
export function permuteForInterleavedRope(weight: Float32Array, rows: number, columns: number, heads: number): Float32Array {
  const headDim = rows / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new RangeError(`permuteForInterleavedRope: ${rows} rows do not split into ${heads} heads of even size`);
  const half = headDim / 2;
  const out = new Float32Array(weight.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      for (let part = 0; part < 2; part++) {
        // New row (head, i, part) is old row (head, part, i).
        const target = head * headDim + 2 * i + part;
        const source = head * headDim + part * half + i;
        out.set(weight.subarray(source * columns, (source + 1) * columns), target * columns);
      }
    }
  }
  return out;
}

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
  return reorderRopeRows(weight, rows, columns, heads, 'interleaved');
}

/**
 * Moves the rows of a q/k projection between the two RoPE layouts: row (head, part · D/2 + i) of
 * the half layout is row (head, 2i + part) of the interleaved one. `to: 'interleaved'` is
 * llama.cpp's conversion (permuteForInterleavedRope), `to: 'half'` its inverse (reading a GGUF back
 * into Hugging Face layout). It moves whole rows, so it applies to any row-major storage: f32
 * values (`rowLength` = columns) or each row's stored bytes (`rowLength` = bytes per row; GGUF
 * quant blocks run along the columns). [rows, rowLength] → [rows, rowLength]
 */
export function reorderRopeRows<T extends Float32Array | Uint8Array>(weight: T, rows: number, rowLength: number, heads: number, to: 'interleaved' | 'half'): T {
  const headDim = rows / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new RangeError(`reorderRopeRows: ${rows} rows do not split into ${heads} heads of even size`);
  if (weight.length !== rows * rowLength) throw new RangeError(`reorderRopeRows: ${weight.length} elements are not ${rows} rows of ${rowLength}`);
  const half = headDim / 2;
  const out = new (weight.constructor as new (length: number) => T)(weight.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      for (let part = 0; part < 2; part++) {
        const interleavedRow = head * headDim + 2 * i + part;
        const halfRow = head * headDim + part * half + i;
        const [target, source] = to === 'interleaved' ? [interleavedRow, halfRow] : [halfRow, interleavedRow];
        out.set(weight.subarray(source * rowLength, (source + 1) * rowLength), target * rowLength);
      }
    }
  }
  return out;
}

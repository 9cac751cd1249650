import { TrainingInputError } from '../errors.js';

/**
 * Inverse of llama.cpp's q/k permutation (@cria/runtime's `permuteForInterleavedRope`, what
 * convert_hf_to_gguf.py does to Llama/Mistral q_proj/k_proj): file row (head, 2i + part) is Hugging
 * Face row (head, part · D/2 + i). After it the model runs the `half` (rotate_half) RoPE as the
 * Hugging Face checkpoint does, so training, export and PEFT adapters all see Hugging Face layouts.
 *
 * It moves whole rows, so it applies to any row-major storage: f32 values (`rowLength` = columns),
 * or a row's stored bytes (`rowLength` = bytes per row, e.g. columns / 32 · 18 for Q4_0): GGUF
 * blocks run along the columns, so quantized rows are unpermuted without dequantizing them.
 * [rows, rowLength] → [rows, rowLength]
 */
export function unpermuteInterleavedRope<T extends Float32Array | Uint8Array>(weight: T, rows: number, rowLength: number, heads: number): T {
  const headDim = rows / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new TrainingInputError('q/k projection', `rows that split into ${heads} heads of even size`, String(rows), 'check the GGUF head counts');
  if (weight.length !== rows * rowLength) throw new TrainingInputError('q/k projection', `${rows} rows of ${rowLength}`, `${weight.length} elements`, 'the tensor does not match its shape');
  const half = headDim / 2;
  const out = new (weight.constructor as new (length: number) => T)(weight.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      for (let part = 0; part < 2; part++) {
        const fileRow = head * headDim + 2 * i + part;
        const hfRow = head * headDim + part * half + i;
        out.set(weight.subarray(fileRow * rowLength, (fileRow + 1) * rowLength), hfRow * rowLength);
      }
    }
  }
  return out;
}

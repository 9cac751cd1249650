import { reorderRopeRows } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';

/**
 * Inverse of llama.cpp's q/k permutation (@cria/runtime's `permuteForInterleavedRope`, what
 * convert_hf_to_gguf.py does to Llama/Mistral q_proj/k_proj; both are the runtime's
 * `reorderRopeRows`): file row (head, 2i + part) is Hugging Face row (head, part · D/2 + i). After
 * it the model runs the `half` (rotate_half) RoPE as the Hugging Face checkpoint does, so training,
 * export and PEFT adapters all see Hugging Face layouts.
 *
 * It moves whole rows, so it applies to any row-major storage: f32 values (`rowLength` = columns),
 * or a row's stored bytes (`rowLength` = bytes per row, e.g. columns / 32 · 18 for Q4_0): GGUF
 * blocks run along the columns, so quantized rows are unpermuted without dequantizing them.
 * The checks come first so that a malformed GGUF gets the training's typed error.
 * [rows, rowLength] → [rows, rowLength]
 */
export function unpermuteInterleavedRope<T extends Float32Array | Uint8Array>(weight: T, rows: number, rowLength: number, heads: number): T {
  const headDim = rows / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new TrainingInputError('q/k projection', `rows that split into ${heads} heads of even size`, String(rows), 'check the GGUF head counts');
  if (weight.length !== rows * rowLength) throw new TrainingInputError('q/k projection', `${rows} rows of ${rowLength}`, `${weight.length} elements`, 'the tensor does not match its shape');
  return reorderRopeRows(weight, rows, rowLength, heads, 'half');
}

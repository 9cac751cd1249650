import { elementCount, type Backend, type Tensor } from '@cria/kernels';
import type { WeightReader } from '../formats/host-tensor.js';
import type { ExpectedTensor } from '../model/weight-names.js';

/**
 * Largest piece of a weight in host memory while streaming: big enough that positioned reads cost
 * little (TinyLlama's 590 MiB load in ~150 reads), small against any model (a 1.1B Q4_0's
 * embedding is 37 MiB, which a whole-tensor read would hold twice, once on each side of the copy).
 */
export const UPLOAD_CHUNK_BYTES = 4 << 20;

/** A backend that can write part of a tensor: the streaming path needs it. */
export type StreamingBackend = Backend & Required<Pick<Backend, 'writeBytes'>>;

export function canStream(backend: Backend, spec: ExpectedTensor): backend is StreamingBackend {
  return typeof backend.writeBytes === 'function' && !spec.f32 && spec.shape.length >= 2 && elementCount(spec.shape) > 0;
}

/**
 * Uploads one weight in pieces of whole rows, each read into `staging` (stored bytes of at most
 * `staging.byteLength`) and copied straight into its place in the backend tensor, so host memory
 * never holds more than one piece. Conversions the reader makes (k-quants → Q8_0) work on the same
 * rows; their f32 intermediate is then at most ~7× the piece (4 bytes per value against Q4_K's 0.56).
 */
export async function streamTensor(backend: StreamingBackend, reader: WeightReader, spec: ExpectedTensor, staging: Uint8Array): Promise<Tensor> {
  const rowLength = spec.shape[spec.shape.length - 1]!;
  const rows = elementCount(spec.shape) / rowLength;
  const storedRowBytes = reader.tensors.get(spec.name)!.byteLength / rows;
  const rowsPerPiece = Math.max(1, Math.floor(staging.byteLength / storedRowBytes));
  let tensor: Tensor | undefined;
  try {
    for (let row = 0; row < rows; row += rowsPerPiece) {
      const count = Math.min(rowsPerPiece, rows - row);
      const piece = await reader.readRows(spec.name, row, count, staging);
      tensor ??= backend.tensor(piece.dtype, spec.shape);
      backend.writeBytes(tensor, row * (piece.data.byteLength / count), piece.data);
    }
  } catch (error) {
    if (tensor) backend.free(tensor);
    throw error;
  }
  return tensor!;
}

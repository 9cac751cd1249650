import { MissingTensorError, formatError } from './errors.js';
import type { WeightInfo, WeightReader } from './host-tensor.js';

/**
 * The loader's check of a checkpoint against its config: the tensor must exist and have exactly
 * the shape the config implies, so a checkpoint for another size or architecture fails with both
 * shapes named instead of computing garbage.
 */
export function expectTensor(reader: WeightReader, file: string, name: string, shape: readonly number[]): WeightInfo {
  const info = reader.tensors.get(name);
  if (!info) throw new MissingTensorError(file, name, 'the checkpoint does not match the config (wrong architecture, or an incomplete download)');
  if (info.shape.length !== shape.length || info.shape.some((dim, i) => dim !== shape[i])) {
    throw formatError('shape-mismatch', file, `tensor '${name}' does not have the shape the config implies`, 'the checkpoint and config.json (or GGUF metadata) belong to different models; download them together', {
      subject: name,
      expected: `[${shape.join(', ')}]`,
      got: `[${info.shape.join(', ')}]`,
    });
  }
  return info;
}

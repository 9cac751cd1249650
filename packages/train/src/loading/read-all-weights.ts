import { dequantizeQ4_0, dequantizeQ8_0 } from '@cria/kernels';
import { llamaParameterSpecs } from '../model/llama-parameters.js';
import type { TrainingWeightSource } from './weight-source.js';

/**
 * Every tensor of a source as f32 by Hugging Face name, then closes it: the whole model in host
 * memory (4 bytes per parameter), for small models, comparisons and `LlamaTrainingModel.fromWeights`.
 * To train, pass the source to `LlamaTrainingModel.load` instead, which never holds more than one tensor.
 */
export async function readAllWeights(source: TrainingWeightSource): Promise<Map<string, Float32Array>> {
  try {
    const weights = new Map<string, Float32Array>();
    for (const spec of llamaParameterSpecs(source.config)) {
      const tensor = await source.read(spec);
      const size = spec.shape.reduce((product, dim) => product * dim, 1);
      weights.set(spec.name, tensor.dtype === 'f32' ? tensor.data : tensor.dtype === 'q8_0' ? dequantizeQ8_0(tensor.data, size) : dequantizeQ4_0(tensor.data, size));
    }
    return weights;
  } finally {
    await source.close();
  }
}

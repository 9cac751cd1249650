import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import { llamaParameterSpecs } from '../model/llama-parameters.js';
import { loraNames } from './lora-adapters.js';

/**
 * W + scaling · B·A for a base weight W [out, in], A [r, in], B [out, r]: the dense weight of a
 * LoRA layer (in f64 accumulation, rounded once to f32).
 */
export function mergeLoraWeight(weight: Float32Array, a: Float32Array, b: Float32Array, rank: number, scaling: number): Float32Array {
  const inFeatures = a.length / rank;
  const out = weight.length / inFeatures;
  const merged = new Float32Array(weight.length);
  const row = new Float64Array(inFeatures);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < rank; k++) {
      const coefficient = b[o * rank + k]!;
      if (coefficient === 0) continue;
      for (let i = 0; i < inFeatures; i++) row[i]! += coefficient * a[k * inFeatures + i]!;
    }
    for (let i = 0; i < inFeatures; i++) merged[o * inFeatures + i] = weight[o * inFeatures + i]! + scaling * row[i]!;
  }
  return merged;
}

/**
 * The model's weights as a plain (adapter-free) Llama in Hugging Face names, f32 on the host: for
 * a LoRA model every adapted weight is merged (W + (alpha/r)·B·A, a quantized base dequantized
 * first); for a plain model, its parameters. Feed it to `LlamaTrainingModel.fromWeights` or an export.
 */
export async function mergedWeights(model: LlamaTrainingModel): Promise<Map<string, Float32Array>> {
  const names = llamaParameterSpecs(model.config).map((spec) => spec.name);
  const weights = await model.parameters.readAll(names);
  const lora = model.lora;
  if (!lora) return weights;
  for (const module of lora.layers.keys()) {
    const adapter = loraNames(module);
    const weightName = `${module}.weight`;
    const [a, b] = [await model.parameters.readFloat32(adapter.a), await model.parameters.readFloat32(adapter.b)];
    weights.set(weightName, mergeLoraWeight(weights.get(weightName)!, a, b, lora.options.rank, lora.options.scaling));
  }
  return weights;
}

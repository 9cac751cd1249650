import type { Tensor } from '@cria/kernels';
import type { LayerWeights, LowRankAdapter, ModelWeights } from '@cria/runtime';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';

/**
 * The training model's own tensors in the runtime forward's terms: no tensor is copied or
 * allocated, so @cria/runtime's LlamaModel (and its KV cache) runs on exactly the weights being
 * trained. A LoRA model hands its frozen base (f32, or Q8_0/Q4_0 under QLoRA) and its adapters
 * separately, unmerged: the runtime adds scaling · (x·Aᵀ)·Bᵀ after each adapted matmul.
 *
 * `all` is empty: the training model owns these tensors, so nothing here may free them.
 */
export function trainingModelWeights(model: LlamaTrainingModel): ModelWeights {
  const get = (name: string) => model.parameters.get(name).value;
  const optional = (name: string) => (model.config.attentionBias ? get(name) : undefined);
  const layers = Array.from({ length: model.config.numLayers }, (_, index): LayerWeights => {
    const p = `model.layers.${index}.`;
    return {
      attentionNorm: get(p + 'input_layernorm.weight'), // [C]
      q: get(p + 'self_attn.q_proj.weight'), // [H·D, C]
      k: get(p + 'self_attn.k_proj.weight'), // [KV·D, C]
      v: get(p + 'self_attn.v_proj.weight'), // [KV·D, C]
      qBias: optional(p + 'self_attn.q_proj.bias'), // [H·D]
      kBias: optional(p + 'self_attn.k_proj.bias'), // [KV·D]
      vBias: optional(p + 'self_attn.v_proj.bias'), // [KV·D]
      o: get(p + 'self_attn.o_proj.weight'), // [C, H·D]
      ffnNorm: get(p + 'post_attention_layernorm.weight'), // [C]
      gate: get(p + 'mlp.gate_proj.weight'), // [I, C]
      up: get(p + 'mlp.up_proj.weight'), // [I, C]
      down: get(p + 'mlp.down_proj.weight'), // [C, I]
    };
  });
  const adapters = new Map<Tensor, LowRankAdapter>();
  for (const layer of model.lora?.layers.values() ?? []) {
    adapters.set(layer.weight.value, { a: layer.a.value, b: layer.b.value, scaling: layer.scaling });
  }
  return {
    embedding: model.embedding.value, // [V, C]
    layers,
    finalNorm: model.finalNorm.value, // [C]
    lmHead: model.lmHead.value, // [V, C], the embedding itself when tied
    parameterCount: model.parameters.count,
    all: [],
    ...(adapters.size > 0 ? { adapters } : {}),
  };
}

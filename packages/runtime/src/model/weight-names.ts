import type { ModelConfig } from './model-config.js';

/** Where a checkpoint's tensors come from: Hugging Face names or llama.cpp's GGUF names. */
export type CheckpointFormat = 'hf' | 'gguf';

/** One expected tensor: its name in the checkpoint and the shape the config implies (outermost first). */
export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** Kept in f32 on the backend whatever the file stores (norm weights and biases feed f32-only ops). */
  f32: boolean;
}

export interface LayerTensorNames {
  attentionNorm: ExpectedTensor;
  q: ExpectedTensor;
  k: ExpectedTensor;
  v: ExpectedTensor;
  qBias?: ExpectedTensor;
  kBias?: ExpectedTensor;
  vBias?: ExpectedTensor;
  o: ExpectedTensor;
  ffnNorm: ExpectedTensor;
  gate: ExpectedTensor;
  up: ExpectedTensor;
  down: ExpectedTensor;
}

export interface ModelTensorNames {
  embedding: ExpectedTensor;
  layers: LayerTensorNames[];
  finalNorm: ExpectedTensor;
  /** Absent when the output head is the embedding table (tied). */
  lmHead?: ExpectedTensor;
}

/** The per-layer names, as [HF suffix after `model.layers.N.`, GGUF suffix after `blk.N.`]. */
const LAYER_NAMES = {
  attentionNorm: ['input_layernorm.weight', 'attn_norm.weight'],
  q: ['self_attn.q_proj.weight', 'attn_q.weight'],
  k: ['self_attn.k_proj.weight', 'attn_k.weight'],
  v: ['self_attn.v_proj.weight', 'attn_v.weight'],
  qBias: ['self_attn.q_proj.bias', 'attn_q.bias'],
  kBias: ['self_attn.k_proj.bias', 'attn_k.bias'],
  vBias: ['self_attn.v_proj.bias', 'attn_v.bias'],
  o: ['self_attn.o_proj.weight', 'attn_output.weight'],
  ffnNorm: ['post_attention_layernorm.weight', 'ffn_norm.weight'],
  gate: ['mlp.gate_proj.weight', 'ffn_gate.weight'],
  up: ['mlp.up_proj.weight', 'ffn_up.weight'],
  down: ['mlp.down_proj.weight', 'ffn_down.weight'],
} as const;

const TOP_NAMES = {
  embedding: ['model.embed_tokens.weight', 'token_embd.weight'],
  finalNorm: ['model.norm.weight', 'output_norm.weight'],
  lmHead: ['lm_head.weight', 'output.weight'],
} as const;

/**
 * Every tensor the forward reads, with the shape the config implies. Linear weights are [out, in]
 * in both formats (GGUF's dims are innermost first; the reader reverses them), so nothing is
 * transposed here: the forward multiplies with `transposeB`. GGUF Llama's q/k rows are permuted
 * for interleaved RoPE (see ModelConfig.ropeStyle), which the forward accounts for, not the loader.
 */
export function expectedTensors(config: ModelConfig, format: CheckpointFormat): ModelTensorNames {
  const index = format === 'hf' ? 0 : 1;
  const { hiddenSize: hidden, intermediateSize: intermediate, vocabSize: vocab } = config;
  const qRows = config.numHeads * config.headDim;
  const kvRows = config.numKvHeads * config.headDim;
  const tensor = (name: string, shape: number[], f32 = shape.length === 1): ExpectedTensor => ({ name, shape, f32 });
  const layers = Array.from({ length: config.numLayers }, (_, layer): LayerTensorNames => {
    const name = (key: keyof typeof LAYER_NAMES) => (format === 'hf' ? `model.layers.${layer}.` : `blk.${layer}.`) + LAYER_NAMES[key][index];
    return {
      attentionNorm: tensor(name('attentionNorm'), [hidden]),
      q: tensor(name('q'), [qRows, hidden]),
      k: tensor(name('k'), [kvRows, hidden]),
      v: tensor(name('v'), [kvRows, hidden]),
      ...(config.attentionBias
        ? { qBias: tensor(name('qBias'), [qRows]), kBias: tensor(name('kBias'), [kvRows]), vBias: tensor(name('vBias'), [kvRows]) }
        : {}),
      o: tensor(name('o'), [hidden, qRows]),
      ffnNorm: tensor(name('ffnNorm'), [hidden]),
      gate: tensor(name('gate'), [intermediate, hidden]),
      up: tensor(name('up'), [intermediate, hidden]),
      down: tensor(name('down'), [hidden, intermediate]),
    };
  });
  return {
    embedding: tensor(TOP_NAMES.embedding[index], [vocab, hidden]),
    layers,
    finalNorm: tensor(TOP_NAMES.finalNorm[index], [hidden]),
    ...(config.tieWordEmbeddings ? {} : { lmHead: tensor(TOP_NAMES.lmHead[index], [vocab, hidden]) }),
  };
}

/** The GGUF/HF name of the untied output head, to decide whether a checkpoint ties its embeddings. */
export function lmHeadName(format: CheckpointFormat): string {
  return TOP_NAMES.lmHead[format === 'hf' ? 0 : 1];
}

/** Every expected tensor, in file order (layers in sequence), for loading and progress. */
export function allExpectedTensors(names: ModelTensorNames): ExpectedTensor[] {
  const perLayer = names.layers.flatMap((layer) => Object.values(layer) as ExpectedTensor[]);
  return [names.embedding, ...perLayer, names.finalNorm, ...(names.lmHead ? [names.lmHead] : [])];
}

/**
 * The models and batches the train suite times, and the work one step does (for GFLOP/s).
 * Every impl (Cria, PyTorch, tfjs) builds the same architecture from these numbers.
 */
export interface TrainShape {
  /** Row label: "nanoGPT shakespeare-char", "SmolLM2-135M LoRA", … */
  name: string;
  mode: 'full' | 'lora';
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  /** SwiGLU hidden size (gate/up out, down in). */
  intermediate: number;
  vocab: number;
  batch: number;
  sequence: number;
  tiedEmbeddings: boolean;
  loraRank: number;
  loraAlpha: number;
  /** LoRA only: the frozen base's linear weights stored Q4_0 (QLoRA); absent = f32. */
  baseDtype?: 'q4_0';
}

// nanoGPT's shakespeare-char config (n_layer 6, n_embd 384, n_head 6, block_size 256, batch 16, 65
// characters). Its GELU MLP is 4·d = 1536 wide with 2 matrices; SwiGLU has 3, so 8/3·d = 1024 keeps
// the parameter count (3·384·1024 = 2·384·1536), as LLaMA sized its MLP.
export const NANOGPT: TrainShape = {
  name: 'nanoGPT shakespeare-char',
  mode: 'full',
  layers: 6,
  hidden: 384,
  heads: 6,
  kvHeads: 6,
  intermediate: 1024,
  vocab: 65,
  batch: 16,
  sequence: 256,
  tiedEmbeddings: false,
  loraRank: 0,
  loraAlpha: 0,
};

// HuggingFaceTB/SmolLM2-135M's config; one sequence of 256 tokens per step (its 2048 context and a
// larger batch would not fit the suite's time), rank 8 alpha 16 adapters on q/k/v/o.
export const SMOLLM2_LORA: TrainShape = {
  name: 'SmolLM2-135M LoRA',
  mode: 'lora',
  layers: 30,
  hidden: 576,
  heads: 9,
  kvHeads: 3,
  intermediate: 1536,
  vocab: 49152,
  batch: 1,
  sequence: 256,
  tiedEmbeddings: true,
  loraRank: 8,
  loraAlpha: 16,
};

// The same step over a Q4_0 base (QLoRA): Cria only (PyTorch's script has no Q4_0 weights). Its
// row also records the backend's bytes, the number QLoRA exists to shrink.
export const SMOLLM2_QLORA: TrainShape = { ...SMOLLM2_LORA, name: 'SmolLM2-135M QLoRA Q4_0', baseDtype: 'q4_0' };

/** --quick: the same three kinds of step on tiny shapes (Q4_0 needs in-features divisible by 32). */
export const QUICK_SHAPES: TrainShape[] = [
  { ...NANOGPT, name: 'tiny full', layers: 2, hidden: 32, heads: 4, kvHeads: 4, intermediate: 64, vocab: 65, batch: 2, sequence: 16 },
  { ...SMOLLM2_LORA, name: 'tiny LoRA', layers: 2, hidden: 48, heads: 6, kvHeads: 2, intermediate: 96, vocab: 128, batch: 1, sequence: 16, loraRank: 4, loraAlpha: 8 },
  { ...SMOLLM2_QLORA, name: 'tiny QLoRA Q4_0', layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, vocab: 128, batch: 1, sequence: 16, loraRank: 4, loraAlpha: 8 },
];

export const headDim = (shape: TrainShape) => shape.hidden / shape.heads;
export const tokensPerStep = (shape: TrainShape) => shape.batch * shape.sequence;

/** Parameters of the linear layers (the matmul weights), the embedding and the total. */
export function parameterCounts(shape: TrainShape): { linear: number; embedding: number; total: number; lora: number } {
  const { hidden: d, intermediate: f, layers: L, vocab: V, kvHeads } = shape;
  const kvWidth = kvHeads * headDim(shape);
  const perLayer = d * d * 2 + d * kvWidth * 2 + 3 * d * f;
  const head = V * d;
  const linear = L * perLayer + head;
  const embedding = V * d;
  const norms = (2 * L + 1) * d;
  const total = L * perLayer + norms + embedding + (shape.tiedEmbeddings ? 0 : head);
  const r = shape.loraRank;
  // q, o: [d, d]; k, v: [kvWidth, d]. A [r, in] + B [out, r] per target.
  const lora = shape.mode === 'lora' ? L * r * (d + d + (d + kvWidth) * 2 + (d + d)) : 0;
  return { linear, embedding, total, lora };
}

/**
 * Visible query-key pairs times heads, per sequence, summed over layers: causal, so T(T+1)/2 pairs.
 * Forward attention costs 4·D flops per pair (q·k and p·v); the backward twice that (dq, dk, dp,
 * dv), so 12·D per pair per step. Cria's flash-style backward also recomputes the scores (another
 * 2·D), which is not counted: the figure is the work the math needs, not what an impl chooses to do.
 */
export function attentionFlops(shape: TrainShape): number {
  const pairs = (shape.sequence * (shape.sequence + 1)) / 2;
  return 12 * headDim(shape) * pairs * shape.heads * shape.layers * shape.batch;
}

/**
 * Flops of one training step. Full training: 6·P·tokens (forward 2, input gradient 2, weight
 * gradient 2 per weight per token) over the matmul weights P (the embedding lookup is a gather,
 * not a matmul; the lm_head counts). LoRA: the frozen base needs no weight gradient, so 4·P for it
 * plus 6 per adapter weight. Plus attention (attentionFlops).
 */
export function stepFlops(shape: TrainShape): number {
  const { linear, lora } = parameterCounts(shape);
  const tokens = tokensPerStep(shape);
  const matmul = shape.mode === 'lora' ? 4 * linear * tokens + 6 * lora * tokens : 6 * linear * tokens;
  return matmul + attentionFlops(shape);
}

export const FLOP_FORMULA =
  'full: 6 · P · tokens + attention; LoRA: (4 · P + 6 · P_lora) · tokens + attention, where P = weights of the matmuls (q, k, v, o, gate, up, down, lm_head; the embedding gather is not counted) and attention = 12 · D · T(T+1)/2 · H · L · B (4·D per visible causal query-key pair forward, twice that backward; recompute not counted)';

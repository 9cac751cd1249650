/**
 * The models the decode suite runs: real checkpoints' shapes with random weights, so the numbers say
 * what Cria and llama.cpp cost on those shapes without downloading anything. Weight values do not
 * change the work (no sparsity, no early exit: exactly 128 tokens are generated whatever they are).
 */
export type DecodeWeightType = 'Q8_0' | 'Q4_0';

export interface DecodeModelShape {
  /** Short label used in rows and file names: "SmolLM2-135M". */
  readonly name: string;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly vocabSize: number;
  readonly tieWordEmbeddings: boolean;
  readonly ropeTheta: number;
}

export interface DecodeModelSpec {
  readonly shape: DecodeModelShape;
  /** Every matrix (embeddings and output head included) in this type; norms stay F32. */
  readonly type: DecodeWeightType;
  readonly seed: number;
}

/** HuggingFaceTB/SmolLM2-135M: config.json values. */
export const SMOLLM2_135M: DecodeModelShape = {
  name: 'SmolLM2-135M',
  hiddenSize: 576,
  intermediateSize: 1536,
  numLayers: 30,
  numHeads: 9,
  numKvHeads: 3,
  vocabSize: 49152,
  tieWordEmbeddings: true,
  ropeTheta: 100000,
};

/** TinyLlama/TinyLlama-1.1B-Chat-v1.0: config.json values (untied output head). */
export const TINYLLAMA_1_1B: DecodeModelShape = {
  name: 'TinyLlama-1.1B',
  hiddenSize: 2048,
  intermediateSize: 5632,
  numLayers: 22,
  numHeads: 32,
  numKvHeads: 4,
  vocabSize: 32000,
  tieWordEmbeddings: false,
  ropeTheta: 10000,
};

/** `--quick`: a model small enough that a whole run (every impl, each in its own process) takes seconds. */
export const QUICK_SHAPE: DecodeModelShape = {
  name: 'tiny',
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  vocabSize: 512,
  tieWordEmbeddings: true,
  ropeTheta: 10000,
};

const SEED = 20250101;

/** The three models. */
export const FULL_MODELS: readonly DecodeModelSpec[] = [
  { shape: SMOLLM2_135M, type: 'Q8_0', seed: SEED },
  { shape: SMOLLM2_135M, type: 'Q4_0', seed: SEED },
  { shape: TINYLLAMA_1_1B, type: 'Q4_0', seed: SEED },
];

export const QUICK_MODELS: readonly DecodeModelSpec[] = [{ shape: QUICK_SHAPE, type: 'Q8_0', seed: SEED }];

export const headDim = (shape: DecodeModelShape) => shape.hiddenSize / shape.numHeads;

/** "SmolLM2-135M Q8_0". */
export const modelLabel = (spec: DecodeModelSpec) => `${spec.shape.name} ${spec.type}`;

/** Parameters (elements of every tensor), for the models table. */
export function parameterCount(shape: DecodeModelShape): number {
  const { hiddenSize: C, intermediateSize: I, numLayers: L, vocabSize: V } = shape;
  const D = headDim(shape);
  const attention = C * shape.numHeads * D * 2 + C * shape.numKvHeads * D * 2;
  const perLayer = attention + 3 * C * I + 2 * C;
  return V * C * (shape.tieWordEmbeddings ? 1 : 2) + L * perLayer + C;
}

/** Bytes of a KV cache of `positions` for one sequence: K and V per layer, `bytesPerValue` each (4 for f32, 2 for f16). */
export function kvCacheBytes(shape: DecodeModelShape, positions: number, bytesPerValue: number): number {
  return shape.numLayers * 2 * positions * shape.numKvHeads * headDim(shape) * bytesPerValue;
}

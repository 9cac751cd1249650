import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantizeQ4_0, quantizeQ8_0 } from '@cria/kernels';
import { encodeGguf, gguf, SeededRandom, tokenizerGgufMetadata, type GgufValue, type GgufWriteTensor } from '@cria/runtime';
import { benchVocabulary } from './bench-vocabulary.js';
import { headDim, type DecodeModelSpec } from './model-shapes.js';

/**
 * Writes a decode-suite model as GGUF, streamed: tensor by tensor, each drawn and quantized in chunks
 * of rows, so no f32 copy of the model (4.4 GB for TinyLlama) ever exists. The header comes from the
 * runtime's own GGUF writer (given zero-filled views of the right sizes, so it lays out offsets
 * exactly as it would for real data); the bytes after it are written here in the same order and padding.
 *
 * Files are cached under a name keyed by the spec and GENERATOR_VERSION, so a rerun reuses them.
 */
const GENERATOR_VERSION = 2; // 2: a vocabulary of ordinary tokens and merges (bench-vocabulary.ts)
const ALIGNMENT = 32; // GGUF's default: encodeGguf pads each tensor to it
const CHUNK_VALUES = 1 << 22; // ~16 MB of f32 per quantized chunk
const BLOCK_BYTES = { Q8_0: 34, Q4_0: 18, F32: 128 } as const; // bytes per 32 values

interface PlannedTensor {
  name: string;
  shape: [number] | [number, number];
  type: 'F32' | DecodeModelSpec['type'];
  /** Values are uniform with this mean and standard deviation (uniform draws are 3× cheaper than normals). */
  mean: number;
  std: number;
}

export interface ModelFile {
  path: string;
  bytes: number;
  /** Bytes of tensor data (what the weights take once loaded, for either impl). */
  weightBytes: number;
  /** True when this run wrote it; false when it came from the cache. */
  generated: boolean;
  generateSeconds: number;
}

/** llama.cpp tensor names and shapes ([out, in] for matrices), in the order convert_hf_to_gguf.py writes them. */
export function planTensors(spec: DecodeModelSpec): PlannedTensor[] {
  const { hiddenSize: C, intermediateSize: I, numLayers, numHeads: H, numKvHeads: KV, vocabSize: V } = spec.shape;
  const D = headDim(spec.shape);
  const matrix = (name: string, rows: number, columns: number, std = 1 / Math.sqrt(columns)): PlannedTensor => ({ name, shape: [rows, columns], type: spec.type, mean: 0, std });
  const norm = (name: string): PlannedTensor => ({ name, shape: [C], type: 'F32', mean: 1, std: 0.1 });
  // As in the runtime's test models: the output head scaled so logits have std 4 (peaked distributions).
  const headStd = 4 / Math.sqrt(C);
  const tensors = [matrix('token_embd.weight', V, C, spec.shape.tieWordEmbeddings ? headStd : 1)];
  for (let layer = 0; layer < numLayers; layer++) {
    const block = `blk.${layer}`;
    tensors.push(
      norm(`${block}.attn_norm.weight`),
      matrix(`${block}.attn_q.weight`, H * D, C),
      matrix(`${block}.attn_k.weight`, KV * D, C),
      matrix(`${block}.attn_v.weight`, KV * D, C),
      matrix(`${block}.attn_output.weight`, C, H * D),
      norm(`${block}.ffn_norm.weight`),
      matrix(`${block}.ffn_gate.weight`, I, C),
      matrix(`${block}.ffn_up.weight`, I, C),
      matrix(`${block}.ffn_down.weight`, C, I),
    );
  }
  tensors.push(norm('output_norm.weight'));
  if (!spec.shape.tieWordEmbeddings) tensors.push(matrix('output.weight', V, C, headStd));
  return tensors;
}

const tensorBytes = (tensor: PlannedTensor) => (tensor.shape.reduce((a, b) => a * b, 1) / 32) * BLOCK_BYTES[tensor.type];
const padded = (length: number) => Math.ceil(length / ALIGNMENT) * ALIGNMENT;

function metadata(spec: DecodeModelSpec): Record<string, GgufValue> {
  const { shape } = spec;
  return {
    'general.architecture': gguf.string('llama'),
    'general.name': gguf.string(`cria-bench-${shape.name}-random`),
    'general.file_type': gguf.u32(spec.type === 'Q8_0' ? 7 : 2), // llama_ftype MOSTLY_Q8_0 / MOSTLY_Q4_0
    'llama.vocab_size': gguf.u32(shape.vocabSize),
    'llama.context_length': gguf.u32(2048),
    'llama.embedding_length': gguf.u32(shape.hiddenSize),
    'llama.block_count': gguf.u32(shape.numLayers),
    'llama.feed_forward_length': gguf.u32(shape.intermediateSize),
    'llama.attention.head_count': gguf.u32(shape.numHeads),
    'llama.attention.head_count_kv': gguf.u32(shape.numKvHeads),
    'llama.rope.freq_base': gguf.f32(shape.ropeTheta),
    'llama.rope.dimension_count': gguf.u32(headDim(shape)),
    'llama.attention.layer_norm_rms_epsilon': gguf.f32(1e-5),
    // A byte-level BPE grown to the vocab size with ordinary tokens and merges, as real ones are.
    ...tokenizerGgufMetadata(benchVocabulary(shape.vocabSize)),
  };
}

/** The header bytes encodeGguf writes for these tensors (data views share one zero buffer). */
function encodeHeader(spec: DecodeModelSpec, tensors: readonly PlannedTensor[]): Uint8Array {
  const zeros = new ArrayBuffer(Math.max(...tensors.map(tensorBytes)));
  const placeholders: GgufWriteTensor[] = tensors.map((tensor) => ({ name: tensor.name, type: tensor.type, shape: tensor.shape, data: new Uint8Array(zeros, 0, tensorBytes(tensor)) }));
  return encodeGguf(metadata(spec), placeholders, { alignment: ALIGNMENT })[0]!;
}

function writeTensor(file: number, tensor: PlannedTensor, seed: number): number {
  const [rows, columns = 1] = tensor.shape.length === 2 ? tensor.shape : [1, tensor.shape[0]];
  // One generator per tensor, seeded by its index: any tensor can be regenerated alone, in any order.
  const random = new SeededRandom(seed);
  const halfWidth = Math.sqrt(3) * tensor.std; // uniform on [-a, a] has std a/√3
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / columns));
  let written = 0;
  for (let row = 0; row < rows; row += rowsPerChunk) {
    const values = new Float32Array(Math.min(rowsPerChunk, rows - row) * columns);
    for (let i = 0; i < values.length; i++) values[i] = tensor.mean + (2 * random.uniform() - 1) * halfWidth;
    const bytes = tensor.type === 'F32' ? new Uint8Array(values.buffer) : tensor.type === 'Q8_0' ? quantizeQ8_0(values) : quantizeQ4_0(values);
    written += writeSync(file, bytes);
  }
  const padding = padded(written) - written;
  if (padding > 0) written += writeSync(file, new Uint8Array(padding));
  return written;
}

export function modelCacheDirectory(): string {
  return process.env['CRIA_BENCH_MODELS'] ?? join(tmpdir(), 'cria-bench-models');
}

export function modelFileName(spec: DecodeModelSpec): string {
  const key = createHash('sha256')
    .update(JSON.stringify({ version: GENERATOR_VERSION, shape: spec.shape, type: spec.type, seed: spec.seed }))
    .digest('hex')
    .slice(0, 12);
  return `${spec.shape.name}-${spec.type.toLowerCase()}-${key}.gguf`;
}

/** The model's GGUF file, generated on first use and reused from the cache directory after. */
export function ensureModelFile(spec: DecodeModelSpec, directory = modelCacheDirectory()): ModelFile {
  const tensors = planTensors(spec);
  const header = encodeHeader(spec, tensors);
  const weightBytes = tensors.reduce((sum, tensor) => sum + tensorBytes(tensor), 0);
  const expectedBytes = header.byteLength + tensors.reduce((sum, tensor) => sum + padded(tensorBytes(tensor)), 0);
  const path = join(directory, modelFileName(spec));
  if (existsSync(path) && statSync(path).size === expectedBytes) return { path, bytes: expectedBytes, weightBytes, generated: false, generateSeconds: 0 };

  const started = performance.now();
  mkdirSync(directory, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const file = openSync(temporary, 'w');
  try {
    let written = writeSync(file, header);
    tensors.forEach((tensor, index) => {
      written += writeTensor(file, tensor, (spec.seed + Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    });
    if (written !== expectedBytes) throw new Error(`decode bench: wrote ${written} bytes of ${modelFileName(spec)}, expected ${expectedBytes}; the GGUF layout here and encodeGguf's disagree`);
  } catch (error) {
    closeSync(file);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(file);
  renameSync(temporary, path);
  return { path, bytes: expectedBytes, weightBytes, generated: true, generateSeconds: Math.round((performance.now() - started) / 100) / 10 };
}

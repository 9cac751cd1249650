import { fromBf16, fromF16, type Backend, type Tensor } from '@cria/kernels';
import { formatError, type ModelFormatError } from '../formats/errors.js';
import { expectTensor } from '../formats/expect-tensor.js';
import type { HostTensor, WeightReader } from '../formats/host-tensor.js';
import type { LoadProgress } from '../engine/api-types.js';
import { canStream, streamTensor, UPLOAD_CHUNK_BYTES } from './stream-tensor.js';
import { allExpectedTensors, type ExpectedTensor, type LayerTensorNames, type ModelTensorNames } from '../model/weight-names.js';

/** The model's tensors on a backend, in the forward's terms. */
export interface LayerWeights {
  attentionNorm: Tensor; // [C] f32
  q: Tensor; // [H·D, C]
  k: Tensor; // [KV·D, C]
  v: Tensor; // [KV·D, C]
  qBias?: Tensor; // [H·D] f32
  kBias?: Tensor; // [KV·D] f32
  vBias?: Tensor; // [KV·D] f32
  o: Tensor; // [C, H·D]
  ffnNorm: Tensor; // [C] f32
  gate: Tensor; // [I, C]
  up: Tensor; // [I, C]
  down: Tensor; // [C, I]
}

export interface ModelWeights {
  embedding: Tensor; // [V, C]
  layers: LayerWeights[];
  finalNorm: Tensor; // [C] f32
  /** The embedding table itself when tied. */
  lmHead: Tensor; // [V, C]
  /** Parameters counted once (a tied head is not counted twice). */
  parameterCount: number;
  /** Every distinct tensor, for dispose. */
  all: Tensor[];
  /**
   * Unmerged LoRA adapters by the base weight they adapt (y = x·Wᵀ + scaling·(x·Aᵀ)·Bᵀ): how
   * @cria/train samples from a LoRA model without copying its base. Not in `all`: the owner frees them.
   */
  adapters?: ReadonlyMap<Tensor, LowRankAdapter>;
}

export interface LowRankAdapter {
  a: Tensor; // [r, in] f32
  b: Tensor; // [out, r] f32
  /** alpha / r */
  scaling: number;
}

export interface UploadOptions {
  file: string;
  /** Bytes of a weight held in host memory at once while streaming (default UPLOAD_CHUNK_BYTES). */
  chunkBytes?: number;
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

/** Storage types a norm or bias may have: its ops take f32, and these convert exactly. */
const FLOAT_STORAGE = new Set(['F32', 'F16', 'BF16']);

/** A norm or bias stored quantized is a corrupt or hand-made file: refused before anything is uploaded. */
function floatStorageError(name: string, dtype: string, file: string): ModelFormatError {
  return formatError('unsupported-dtype', file, `tensor '${name}' is a norm or bias stored as ${dtype}`, "norms and biases are kept in F32 by llama.cpp's converter and by transformers; re-export or re-convert the checkpoint", {
    subject: name,
    expected: 'F32, F16 or BF16',
    got: dtype,
  });
}

function asF32(tensor: HostTensor, name: string, file: string): Float32Array {
  if (tensor.dtype === 'f32') return tensor.data as Float32Array;
  if (tensor.dtype === 'f16') return fromF16(tensor.data as Uint16Array);
  if (tensor.dtype === 'bf16') return fromBf16(tensor.data as Uint16Array);
  throw floatStorageError(name, tensor.dtype, file);
}

/**
 * Checks every expected tensor against the config first (so a wrong checkpoint fails before any
 * upload), then uploads them one at a time in the dtype the file stores (f32/f16/bf16/q8_0/q4_0;
 * k-quants converted by the reader). Matrices stream in pieces of at most `chunkBytes` through one
 * reused staging buffer when the backend can write part of a tensor (wasm); otherwise, and for the
 * small 1-D norms and biases (made f32, the only dtype their ops take), a tensor is read whole.
 */
export async function uploadWeights(backend: Backend, reader: WeightReader, names: ModelTensorNames, options: UploadOptions): Promise<ModelWeights> {
  const expected = allExpectedTensors(names);
  for (const tensor of expected) {
    const info = expectTensor(reader, options.file, tensor.name, tensor.shape);
    if (tensor.f32 && !FLOAT_STORAGE.has(info.dtype.toUpperCase())) throw floatStorageError(info.name, info.dtype, options.file);
  }
  const totalBytes = expected.reduce((sum, tensor) => sum + reader.tensors.get(tensor.name)!.byteLength, 0);
  let loadedBytes = 0;
  const uploaded: Tensor[] = [];
  const largest = expected.reduce((most, tensor) => Math.max(most, reader.tensors.get(tensor.name)!.byteLength), 0);
  let staging: Uint8Array | undefined; // allocated on first use, dropped with this call
  const upload = async (spec: ExpectedTensor): Promise<Tensor> => {
    if (options.signal?.aborted) throw options.signal.reason ?? new DOMException('model loading was aborted', 'AbortError');
    let tensor: Tensor;
    if (canStream(backend, spec)) {
      staging ??= new Uint8Array(Math.min(options.chunkBytes ?? UPLOAD_CHUNK_BYTES, largest));
      tensor = await streamTensor(backend, reader, spec, staging);
    } else {
      const host = await reader.read(spec.name);
      tensor = spec.f32 ? backend.tensor('f32', spec.shape, asF32(host, spec.name, options.file)) : backend.tensor(host.dtype, spec.shape, host.data);
    }
    uploaded.push(tensor);
    loadedBytes += reader.tensors.get(spec.name)!.byteLength;
    options.onProgress?.({ phase: 'upload', loadedBytes, totalBytes, item: spec.name });
    return tensor;
  };
  try {
    const embedding = await upload(names.embedding);
    const layers: LayerWeights[] = [];
    for (const layer of names.layers) {
      const weights: Partial<Record<keyof LayerTensorNames, Tensor>> = {};
      for (const [key, spec] of Object.entries(layer) as Array<[keyof LayerTensorNames, ExpectedTensor]>) weights[key] = await upload(spec);
      layers.push(weights as LayerWeights);
    }
    const finalNorm = await upload(names.finalNorm);
    const lmHead = names.lmHead ? await upload(names.lmHead) : embedding;
    const parameterCount = expected.reduce((sum, spec) => sum + spec.shape.reduce((product, dim) => product * dim, 1), 0);
    // WebGPU reports a failed allocation (out of memory) asynchronously: wait for the uploads, so a
    // model that does not fit fails here, with its tensors freed, not at the first generation.
    await backend.sync();
    return { embedding, layers, finalNorm, lmHead, parameterCount, all: uploaded };
  } catch (error) {
    for (const tensor of uploaded) backend.free(tensor);
    throw error;
  }
}

export function freeWeights(backend: Backend, weights: ModelWeights): void {
  for (const tensor of weights.all) if (!tensor.freed) backend.free(tensor);
}

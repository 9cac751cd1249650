import type { DType } from '@cria/kernels';
import type { TrainingWeightSource } from '../loading/weight-source.js';
import type { LlamaTrainingModel } from '../model/llama-training-model.js';
import type { TrainingBatch } from '../model/training-batch.js';

/** What two ways of building the same model must agree on, bit for bit. */
export interface ModelFingerprint {
  /** Every parameter as stored on the backend (f32 values or Q8_0/Q4_0 blocks), by name. */
  parameters: Map<string, { dtype: DType; shape: readonly number[]; bytes: Uint8Array }>;
  logits: Float32Array; // [B·T, V]
  loss: number;
}

/** A batch of B = 2 rows of T = 8 tokens with a few ignored targets. */
export function parityBatch(vocabulary: number): TrainingBatch {
  const ids = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + 3) % vocabulary);
  return { batchSize: 2, sequenceLength: 8, ids, targets: ids.map((id, i) => (i % 5 === 0 ? -100 : (id + 1) % vocabulary)) };
}

/** Reads every parameter back and runs one evaluation forward; disposes the model. */
export async function fingerprint(model: LlamaTrainingModel): Promise<ModelFingerprint> {
  try {
    const parameters: ModelFingerprint['parameters'] = new Map();
    for (const { name, value } of model.parameters.all) {
      const data = await model.backend.read(value);
      parameters.set(name, { dtype: value.dtype, shape: value.shape, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() });
    }
    model.forward(parityBatch(model.config.vocabSize));
    return { parameters, logits: await model.readLogits(), loss: await model.readLoss() };
  } finally {
    model.dispose();
  }
}

/** One `read` as the model asked for it: what came back, and what the backend held at that moment. */
export interface SourceRead {
  name: string;
  dtype: 'f32' | 'q8_0' | 'q4_0';
  /** Bytes of f32 values this read produced (0 for blocks). */
  f32Bytes: number;
  bytes: number;
  backendBytesBefore: number;
}

/**
 * Wraps a source to record every read (the instrumented source of the loading tests): which dtype
 * each tensor came as, how many f32 bytes were made, and the backend's bytes in use when it was asked.
 */
export function recordingSource(source: TrainingWeightSource, bytesInUse: () => number): { source: TrainingWeightSource; reads: SourceRead[]; closed: () => boolean } {
  const reads: SourceRead[] = [];
  let closed = false;
  return {
    reads,
    closed: () => closed,
    source: {
      name: source.name,
      config: source.config,
      quantizedBase: source.quantizedBase,
      storedBytes: (name) => source.storedBytes(name),
      async read(spec, options) {
        const backendBytesBefore = bytesInUse();
        const tensor = await source.read(spec, options);
        reads.push({ name: spec.name, dtype: tensor.dtype, f32Bytes: tensor.dtype === 'f32' ? tensor.data.byteLength : 0, bytes: tensor.data.byteLength, backendBytesBefore });
        return tensor;
      },
      async close() {
        closed = true;
        await source.close();
      },
    },
  };
}

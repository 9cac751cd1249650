import { createReferenceBackend, createWasmBackend, type Backend, type Tensor } from '@cria/kernels';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryByteSource } from '../formats/sources/byte-source.js';
import { TINY_LLAMA, TINY_QWEN2, type TestModelConfig } from '../formats/test-model/test-model-config.js';
import { testModelInMemory, type TestGgufType } from '../formats/test-model/test-model.js';
import { allExpectedTensors, expectedTensors } from '../model/weight-names.js';
import { openModel, type OpenModel } from './open-model.js';
import { UPLOAD_CHUNK_BYTES } from './stream-tensor.js';
import { uploadWeights, type ModelWeights } from './upload-weights.js';

/** A file in memory that records every read made of it: the allocating `read` and the buffer-filling `readInto`. */
class RecordingSource extends MemoryByteSource {
  reads: number[] = [];
  readIntos: number[] = [];

  override async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads.push(length);
    return super.read(offset, length);
  }

  override async readInto(offset: number, target: Uint8Array): Promise<void> {
    this.readIntos.push(target.byteLength);
    return super.readInto(offset, target);
  }
}

async function open(config: TestModelConfig, type: TestGgufType): Promise<{ opened: OpenModel; source: RecordingSource }> {
  const source = new RecordingSource(testModelInMemory(config, { ggufType: type }).gguf, `${config.architecture}-${type}.gguf`);
  const opened = await openModel({ kind: 'gguf', name: source.name, open: async () => source });
  source.reads = []; // the header's reads are not the loader's
  return { opened, source };
}

const backends: Backend[] = [];
afterEach(() => {
  for (const backend of backends.splice(0)) backend.dispose();
});

async function upload(backend: Backend, opened: OpenModel, chunkBytes?: number): Promise<ModelWeights> {
  backends.push(backend);
  return uploadWeights(backend, opened.reader, expectedTensors(opened.config, opened.format), { file: opened.file, ...(chunkBytes ? { chunkBytes } : {}) });
}

const bytesOf = async (backend: Backend, tensor: Tensor) => {
  const host = await backend.read(tensor);
  return new Uint8Array(host.buffer, host.byteOffset, host.byteLength);
};

describe('streaming weights into a backend', () => {
  it.each([
    ['llama', TINY_LLAMA, 'Q8_0'],
    ['llama', TINY_LLAMA, 'Q4_0'],
    ['qwen2', TINY_QWEN2, 'F32'],
  ] as const)('%s %s: no host buffer is larger than the chunk, and every matrix is read into one reused buffer', async (_, config, type) => {
    const chunkBytes = 1000; // not a multiple of any row: pieces are whole rows below it
    const { opened, source } = await open(config, type);
    const names = expectedTensors(opened.config, opened.format);
    await upload(await createWasmBackend({ threads: 1 }), opened, chunkBytes);

    expect(Math.max(...source.readIntos)).toBeLessThanOrEqual(chunkBytes);
    // The allocating read serves only the 1-D norms and biases (made f32, read whole).
    const vectors = allExpectedTensors(names).filter((spec) => spec.shape.length === 1);
    const sorted = (lengths: number[]) => [...lengths].sort((a, b) => a - b);
    expect(sorted(source.reads)).toEqual(sorted(vectors.map((spec) => opened.reader.tensors.get(spec.name)!.byteLength)));
    // One read per piece of whole rows, as many rows as fit in the chunk.
    const pieces = allExpectedTensors(names)
      .filter((spec) => spec.shape.length > 1)
      .reduce((sum, spec) => {
        const rows = spec.shape[0]!;
        const rowBytes = opened.reader.tensors.get(spec.name)!.byteLength / rows;
        return sum + Math.ceil(rows / Math.floor(chunkBytes / rowBytes));
      }, 0);
    expect(source.readIntos.length).toBe(pieces);
  });

  it('puts the same bytes in every tensor as a whole-tensor upload (reference backend, no writeBytes)', async () => {
    const { opened } = await open(TINY_LLAMA, 'Q4_0');
    const streamed = await upload(await createWasmBackend({ threads: 1 }), opened, 700);
    const reference = createReferenceBackend();
    expect(reference.writeBytes).toBeUndefined();
    const whole = await upload(reference, opened);
    expect(streamed.all.length).toBe(whole.all.length);
    for (let i = 0; i < whole.all.length; i++) {
      expect(streamed.all[i]!.dtype).toBe(whole.all[i]!.dtype);
      expect(await bytesOf(backends[0]!, streamed.all[i]!)).toEqual(await bytesOf(reference, whole.all[i]!));
    }
  });

  it('sizes the staging buffer to the largest tensor when the model is smaller than a chunk', async () => {
    const { opened, source } = await open(TINY_LLAMA, 'Q8_0');
    await upload(await createWasmBackend({ threads: 1 }), opened);
    const largest = Math.max(...[...opened.reader.tensors.values()].map((info) => info.byteLength));
    expect(largest).toBeLessThan(UPLOAD_CHUNK_BYTES);
    expect(source.readIntos.every((length) => length <= largest)).toBe(true);
    // Every matrix fits: one read each.
    expect(source.readIntos.length).toBe([...opened.reader.tensors.values()].filter((info) => info.shape.length > 1).length);
  });

  it('frees what it uploaded when a read fails midway, and names the failure', async () => {
    const { opened } = await open(TINY_LLAMA, 'Q8_0');
    const backend = await createWasmBackend({ threads: 1 });
    backends.push(backend);
    let reads = 0;
    const failing = {
      ...opened.reader,
      tensors: opened.reader.tensors,
      read: (name: string) => opened.reader.read(name),
      readBytes: (name: string) => opened.reader.readBytes(name),
      close: () => opened.reader.close(),
      readRows: async (name: string, first: number, count: number, scratch?: Uint8Array) => {
        if (++reads === 5) throw new Error('disk went away');
        return opened.reader.readRows(name, first, count, scratch);
      },
    };
    await expect(uploadWeights(backend, failing, expectedTensors(opened.config, opened.format), { file: opened.file, chunkBytes: 512 })).rejects.toThrow('disk went away');
    expect(backend.bytesInUse).toBe(0);
  });
});

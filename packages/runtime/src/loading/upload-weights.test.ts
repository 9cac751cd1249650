import { CriaKernelError, createReferenceBackend, createWebGPUBackend } from '@cria/kernels';
import { describe, expect, it, vi } from 'vitest';
import { concatBytes } from '../formats/chunks.js';
import { ModelFormatError } from '../formats/errors.js';
import { GgufFile } from '../formats/gguf/gguf-file.js';
import { encodeGguf, type GgufWriteTensor } from '../formats/gguf/gguf-writer.js';
import { MemoryByteSource } from '../formats/sources/byte-source.js';
import { TINY_LLAMA } from '../formats/test-model/test-model-config.js';
import { testModelGguf } from '../formats/test-model/test-model.js';
import { loadModel } from './load-model.js';

describe('uploadWeights', () => {
  it('refuses a norm stored quantized, naming it, before uploading anything', async () => {
    // The test model's F32 GGUF rewritten with one layer norm as Q8_0 (a bit flip in its type id does the same).
    const original = await GgufFile.open(new MemoryByteSource(concatBytes(testModelGguf(TINY_LLAMA, 'F32')), 'model.gguf'));
    const tensors: GgufWriteTensor[] = [];
    for (const [name, info] of original.tensors) {
      const { data } = await original.read(name);
      tensors.push({ name, shape: info.shape, type: name === 'blk.1.attn_norm.weight' ? 'Q8_0' : 'F32', data: data as Float32Array });
    }
    const bytes = concatBytes(encodeGguf(original.metadata, tensors));
    const backend = createReferenceBackend();
    const allocations = vi.spyOn(backend, 'tensor');
    const location = { kind: 'gguf' as const, name: 'quantized-norm.gguf', open: async () => new MemoryByteSource(bytes, 'quantized-norm.gguf') };
    const error = await loadModel(location, backend).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error).toMatchObject({ code: 'unsupported-dtype', subject: 'blk.1.attn_norm.weight', expected: 'F32, F16 or BF16', got: 'Q8_0' });
    expect((error as Error).message).toMatch(/^quantized-norm\.gguf: tensor 'blk\.1\.attn_norm\.weight' is a norm or bias stored as Q8_0/);
    expect(allocations).not.toHaveBeenCalled();
  });

  it('fails the load when WebGPU reports an error while uploading (as it does out of memory), freeing what it uploaded', async () => {
    const backend = await createWebGPUBackend();
    const gguf = { kind: 'gguf' as const, name: 'model.gguf', open: async () => new MemoryByteSource(concatBytes(testModelGguf(TINY_LLAMA, 'Q8_0')), 'model.gguf') };
    try {
      // An allocation that fails is reported later, as an uncaptured error; an invalid buffer midway stands in for it.
      const tensor = backend.tensor.bind(backend);
      let created = 0;
      vi.spyOn(backend, 'tensor').mockImplementation((...args) => {
        if (++created === 5) backend.device.createBuffer({ size: 4, usage: 0 });
        return tensor(...args);
      });
      const freed = vi.spyOn(backend, 'free');
      const error = await loadModel(gguf, backend).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CriaKernelError);
      expect((error as Error).message).toMatch(/^sync: WebGPU reported 1 error/);
      expect(freed).toHaveBeenCalledTimes(created);
      // The backend stays usable: the same file loads once the error has been reported.
      vi.restoreAllMocks();
      const { model } = await loadModel(gguf, backend);
      expect((await model.forward([1, 2], model.createCache(4))).length).toBe(TINY_LLAMA.vocabSize);
    } finally {
      backend.dispose();
    }
  });
});

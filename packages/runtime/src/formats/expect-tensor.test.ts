import { describe, expect, it } from 'vitest';
import { concatBytes } from './chunks.js';
import { MissingTensorError } from './errors.js';
import { expectTensor } from './expect-tensor.js';
import { SafetensorsFile } from './safetensors/safetensors-file.js';
import { encodeSafetensors } from './safetensors/safetensors-writer.js';
import { MemoryByteSource } from './sources/byte-source.js';

describe('expectTensor', () => {
  it('passes a matching tensor and names missing tensors and shape mismatches', async () => {
    const bytes = concatBytes(encodeSafetensors([{ name: 'model.norm.weight', dtype: 'F32', shape: [64], data: new Float32Array(64) }]));
    const file = await SafetensorsFile.open(new MemoryByteSource(bytes, 'model.safetensors'));
    expect(expectTensor(file, file.name, 'model.norm.weight', [64]).dtype).toBe('F32');
    expect(() => expectTensor(file, file.name, 'lm_head.weight', [320, 64])).toThrow(MissingTensorError);
    expect(() => expectTensor(file, file.name, 'model.norm.weight', [576])).toThrow(/expected \[576\], got \[64\]/);
    expect(() => expectTensor(file, file.name, 'model.norm.weight', [1, 64])).toThrow(expect.objectContaining({ code: 'shape-mismatch', subject: 'model.norm.weight' }));
  });
});

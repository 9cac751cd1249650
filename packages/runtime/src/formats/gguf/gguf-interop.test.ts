import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf as parseWithHuggingFace, serializeGgufMetadata, type GGUFTypedMetadata } from '@huggingface/gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, writeChunks } from '../chunks.js';
import { MemoryByteSource } from '../sources/byte-source.js';
import { testModelGguf } from '../test-model/test-model.js';
import { TINY_LLAMA } from '../test-model/test-model-config.js';
import { GgufFile } from './gguf-file.js';
import { GGUF_VALUE_TYPES, gguf, type GgufValue } from './gguf-value.js';
import { encodeGguf } from './gguf-writer.js';

/**
 * Interoperability with an independent implementation, @huggingface/gguf: it parses what Cria
 * writes, and Cria parses what it writes, with the same keys, types and values.
 */
const everyType: Record<string, GgufValue> = {
  u8: gguf.u8(7), i8: gguf.i8(-7), u16: gguf.u16(700), i16: gguf.i16(-700), u32: gguf.u32(70000), i32: gguf.i32(-70000),
  f32: gguf.f32(0.25), f64: gguf.f64(1e-300), u64: gguf.u64(2n ** 40n), i64: gguf.i64(-(2n ** 40n)), bool: gguf.bool(true),
  string: gguf.string('ĠhéllО'), strings: gguf.strings(['a', 'bc']), floats: gguf.array('f32', new Float32Array([1.5, -2])),
  ints: gguf.array('i32', new Int32Array([1, -3])),
};

const plain = (value: unknown): unknown => (ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<unknown>) : value);

describe('GGUF interop with @huggingface/gguf', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cria-gguf-'));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('parses the files Cria writes: every value type, the tensor infos and the data offset', async () => {
    const path = join(directory, 'model.gguf');
    const chunks = testModelGguf(TINY_LLAMA, 'Q8_0');
    const header = encodeGguf(everyType, []);
    await writeChunks(path, chunks);
    const ours = await GgufFile.open(new MemoryByteSource(concatBytes(chunks), path));
    const theirs = await parseWithHuggingFace(path, { allowLocalFile: true, typedMetadata: true });
    expect(theirs.typedMetadata.version.value).toBe(3);
    expect(theirs.tensorDataOffset).toBe(BigInt(ours.dataOffset));
    expect(theirs.tensorInfos.map(({ name, shape, dtype, offset }) => ({ name, dims: shape.map(Number), dtype, offset: Number(offset) }))).toEqual(
      [...ours.tensors.values()].map(({ name, dims, typeId, offset }) => ({ name, dims, dtype: typeId, offset })),
    );
    for (const [key, value] of ours.metadata) {
      const entry = (theirs.typedMetadata as Record<string, { value: unknown; type: number; subType?: number }>)[key]!;
      expect(entry.type, key).toBe(GGUF_VALUE_TYPES.indexOf(value.type));
      if (value.type !== 'array') expect(entry.value, key).toEqual(value.value);
    }

    const valuesPath = join(directory, 'values.gguf');
    await writeChunks(valuesPath, header);
    const parsed = await parseWithHuggingFace(valuesPath, { allowLocalFile: true, typedMetadata: true });
    for (const [key, value] of Object.entries(everyType)) {
      const entry = (parsed.typedMetadata as Record<string, { value: unknown; type: number; subType?: number }>)[key]!;
      expect(entry.type, key).toBe(GGUF_VALUE_TYPES.indexOf(value.type));
      if (value.type === 'array') {
        expect(entry.subType, key).toBe(GGUF_VALUE_TYPES.indexOf(value.value.itemType));
        expect(plain(entry.value), key).toEqual(plain(value.value.items));
      } else {
        expect(entry.value, key).toEqual(value.value);
      }
    }
  });

  it('reads the metadata @huggingface/gguf writes', async () => {
    const path = join(directory, 'values-for-them.gguf');
    await writeChunks(path, encodeGguf(everyType, []));
    const { typedMetadata } = await parseWithHuggingFace(path, { allowLocalFile: true, typedMetadata: true });
    const rewritten = serializeGgufMetadata(typedMetadata as GGUFTypedMetadata);
    const ours = await GgufFile.open(new MemoryByteSource(rewritten, 'rewritten.gguf'));
    expect(ours.metadata).toEqual(new Map(Object.entries(everyType)));
  });
});

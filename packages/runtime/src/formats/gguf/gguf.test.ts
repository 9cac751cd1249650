import { dequantizeQ4_0, quantizeQ4_0, quantizeQ8_0, toBf16, toF16 } from '@cria/kernels';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../chunks.js';
import { ModelFormatError, TruncatedFileError, UnsupportedDTypeError, UnsupportedVersionError } from '../errors.js';
import { MemoryByteSource } from '../sources/byte-source.js';
import { ByteWriter } from './byte-writer.js';
import { GgufFile } from './gguf-file.js';
import { GGUF_MAGIC } from './gguf-header.js';
import { gguf, type GgufValue } from './gguf-value.js';
import { encodeGguf } from './gguf-writer.js';

const open = (bytes: Uint8Array) => GgufFile.open(new MemoryByteSource(bytes, 'model.gguf'));

async function rejection(bytes: Uint8Array): Promise<ModelFormatError> {
  const error = await open(bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelFormatError);
  expect((error as ModelFormatError).file).toBe('model.gguf');
  expect((error as ModelFormatError).message).toMatch(/Hint: /);
  return error as ModelFormatError;
}

interface RawTensor {
  name: string;
  dims: Array<number | bigint>;
  type: number;
  offset: number | bigint;
}

/** A GGUF file written field by field, so tests can put any lie in any field. */
function rawGguf(options: {
  magic?: number;
  version?: number;
  tensorCount?: bigint;
  keyCount?: bigint;
  keys?: Array<(writer: ByteWriter) => void>;
  tensors?: RawTensor[];
  alignment?: number;
  dataBytes?: number;
}): Uint8Array {
  const writer = new ByteWriter();
  const keys = options.keys ?? [];
  const tensors = options.tensors ?? [];
  writer.u32(options.magic ?? GGUF_MAGIC);
  writer.u32(options.version ?? 3);
  writer.u64(options.tensorCount ?? BigInt(tensors.length));
  writer.u64(options.keyCount ?? BigInt(keys.length));
  for (const key of keys) key(writer);
  for (const tensor of tensors) {
    writer.string(tensor.name);
    writer.u32(tensor.dims.length);
    for (const dim of tensor.dims) writer.u64(dim);
    writer.u32(tensor.type);
    writer.u64(tensor.offset);
  }
  writer.pad(options.alignment ?? 32);
  return concatBytes([writer.finish(), new Uint8Array(options.dataBytes ?? 0)]);
}

const u32Key = (key: string, value: number) => (writer: ByteWriter) => {
  writer.string(key);
  writer.u32(4);
  writer.u32(value);
};

describe('GGUF round trip', () => {
  const metadata: Record<string, GgufValue> = {
    'general.architecture': gguf.string('llama'),
    'general.name': gguf.string('tïny ✓'),
    u8: gguf.u8(255),
    i8: gguf.i8(-128),
    u16: gguf.u16(65535),
    i16: gguf.i16(-32768),
    u32: gguf.u32(4294967295),
    i32: gguf.i32(-2147483648),
    f32: gguf.f32(0.5),
    f64: gguf.f64(Math.PI),
    u64: gguf.u64(2n ** 64n - 1n),
    i64: gguf.i64(-(2n ** 63n)),
    'bool.true': gguf.bool(true),
    'bool.false': gguf.bool(false),
    'tokenizer.ggml.tokens': gguf.strings(['a', 'b', '<|end|>', '']),
    'tokenizer.ggml.scores': gguf.array('f32', new Float32Array([0, -1, -2.5, 3])),
    'tokenizer.ggml.token_type': gguf.array('i32', new Int32Array([1, 1, 3, 1])),
    'array.u64': gguf.array('u64', new BigUint64Array([1n, 2n ** 60n])),
    'array.bool': gguf.array('bool', [true, false, true]),
    'array.nested': gguf.array('array', [
      { itemType: 'u8', items: new Uint8Array([1, 2]) },
      { itemType: 'string', items: ['x'] },
    ]),
    'array.empty': gguf.array('f64', new Float64Array(0)),
  };
  const values = Float32Array.from({ length: 64 * 3 }, (_, i) => Math.sin(i) * 2);
  const tensors = [
    { name: 'f32', type: 'F32' as const, shape: [3, 64], data: values },
    { name: 'f16', type: 'F16' as const, shape: [3, 64], data: values },
    { name: 'bf16', type: 'BF16' as const, shape: [192], data: values },
    { name: 'q8_0', type: 'Q8_0' as const, shape: [3, 64], data: values },
    { name: 'q4_0', type: 'Q4_0' as const, shape: [1, 3, 64], data: values },
    { name: 'odd', type: 'F32' as const, shape: [3], data: new Float32Array([1, 2, 3]) },
  ];

  it('reads a version 2 file like version 3 (same layout: v3 only added big-endian files)', async () => {
    const bytes = concatBytes(encodeGguf(metadata, tensors));
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(4, 2, true);
    const v2 = await open(bytes);
    const v3 = await open(concatBytes(encodeGguf(metadata, tensors)));
    expect(v2.version).toBe(2);
    expect(v2.metadata).toEqual(v3.metadata);
    for (const { name } of tensors) expect(await v2.read(name)).toEqual(await v3.read(name));
  });

  it('writes metadata of every value type and F32/F16/BF16/Q8_0/Q4_0 tensors, and reads them back', async () => {
    for (const alignment of [32, 64]) {
      const file = await open(concatBytes(encodeGguf(metadata, tensors, { alignment })));
      expect(file.version).toBe(3);
      expect(file.alignment).toBe(alignment);
      expect(file.dataOffset % alignment).toBe(0);
      const expected = new Map(Object.entries(metadata));
      if (alignment !== 32) expected.set('general.alignment', gguf.u32(alignment));
      expect(file.metadata).toEqual(expected);
      expect([...file.tensors.values()].every((info) => info.offset % alignment === 0)).toBe(true);
      expect(file.info('q4_0')).toMatchObject({ type: 'Q4_0', typeId: 2, dims: [64, 3, 1], shape: [1, 3, 64], byteLength: 6 * 18 });
      expect(file.info('odd').byteLength).toBe(12);
      expect(new Float32Array((await file.readBytes('f32')).buffer)).toEqual(values);
      expect((await file.read('f16')).data).toEqual(toF16(values));
      expect((await file.read('bf16')).data).toEqual(toBf16(values));
      expect(await file.read('q8_0')).toEqual({ dtype: 'q8_0', shape: [3, 64], data: quantizeQ8_0(values) });
      expect((await file.read('q4_0')).data).toEqual(quantizeQ4_0(values));
      expect(await file.readF32('q4_0')).toEqual(dequantizeQ4_0(quantizeQ4_0(values), values.length));
    }
  });

  it('reads rows of a tensor as read() gives the whole, into a caller buffer when it fits', async () => {
    const file = await open(concatBytes(encodeGguf(metadata, tensors)));
    const scratch = new Uint8Array(1024);
    for (const name of ['f32', 'f16', 'q8_0', 'q4_0']) {
      const whole = await file.read(name);
      const rowBytes = whole.data.byteLength / 3;
      const rows = await file.readRows(name, 1, 2, scratch);
      expect(rows.dtype).toBe(whole.dtype);
      expect(rows.shape).toEqual([2, 64]);
      expect(rows.data.buffer).toBe(scratch.buffer); // no allocation
      expect(new Uint8Array(rows.data.buffer, rows.data.byteOffset, rows.data.byteLength)).toEqual(new Uint8Array(whole.data.buffer, whole.data.byteOffset + rowBytes, 2 * rowBytes));
    }
    const unbuffered = await file.readRows('q8_0', 0, 3);
    expect(unbuffered.data).toEqual(quantizeQ8_0(values));
    expect(unbuffered.data.buffer).not.toBe(scratch.buffer);
    expect((await file.readRows('q8_0', 0, 3, new Uint8Array(10))).data).toEqual(quantizeQ8_0(values)); // too small: a fresh array
    await expect(file.readRows('f32', 2, 2)).rejects.toThrow(/'f32' has 3 rows; rows 2..3 were asked for/);
    await expect(file.readRows('f32', -1, 1)).rejects.toThrow(RangeError);
  });

  it('gives the tokenizer plain values, and typed getters', async () => {
    const file = await open(concatBytes(encodeGguf(metadata, [])));
    const record = file.metadataRecord();
    expect(record['tokenizer.ggml.tokens']).toEqual(['a', 'b', '<|end|>', '']);
    expect(record['u64']).toBe(2n ** 64n - 1n);
    expect(record['array.u64']).toEqual([1, 2n ** 60n]); // exact as a number or left a bigint
    expect(file.get('u32', 'number')).toBe(4294967295);
    expect(file.get('general.architecture', 'string')).toBe('llama');
    expect(file.get('absent', 'string')).toBeUndefined();
    expect(() => file.get('general.architecture', 'number')).toThrow(/metadata 'general.architecture' is a string/);
  });

  it('reads a header larger than the first read (a big vocabulary)', async () => {
    const tokens = Array.from({ length: 120_000 }, (_, i) => `token-${i}`);
    const file = await open(concatBytes(encodeGguf({ 'tokenizer.ggml.tokens': gguf.strings(tokens) }, [tensors[0]!])));
    expect(file.metadataRecord()['tokenizer.ggml.tokens']).toEqual(tokens);
    expect(new Float32Array((await file.readBytes('f32')).buffer)).toEqual(values);
  });

  it('rejects writer input it cannot encode', () => {
    expect(() => encodeGguf({}, [{ name: 'q', type: 'Q8_0', shape: [2, 20], data: new Float32Array(40) }])).toThrow(/not whole Q8_0 blocks/);
    expect(() => encodeGguf({ k: gguf.u8(256) }, [])).toThrow(/not a valid u8/);
    expect(() => encodeGguf({ k: gguf.i64(2n ** 63n) }, [])).toThrow(/not a valid i64/);
    expect(() => encodeGguf({}, [tensors[0]!, tensors[0]!])).toThrow(/used twice/);
    expect(() => encodeGguf({}, [], { alignment: 24 })).toThrow(/not a power of two/);
  });
});

describe('GGUF rejects malformed files', () => {
  const f32Tensor = (offset: number | bigint = 0, name = 'w'): RawTensor => ({ name, dims: [4], type: 0, offset });

  it('a bad magic, naming what was found', async () => {
    const error = await rejection(rawGguf({ magic: 0x4c4d4747 }));
    expect(error.code).toBe('bad-magic');
    expect(error.got).toBe("'GGML'");
    expect((await rejection(new Uint8Array([0x47, 0x47]))).code).toBe('truncated');
  });

  it('versions 1, 4 and big-endian files', async () => {
    expect(await rejection(rawGguf({ version: 1 }))).toBeInstanceOf(UnsupportedVersionError);
    expect((await rejection(rawGguf({ version: 4 }))).got).toBe('4');
    expect((await rejection(rawGguf({ version: 0x03000000 }))).message).toMatch(/big-endian/);
  });

  it('counts the file cannot hold (2^60 tensors fails fast, allocating nothing)', async () => {
    const started = performance.now();
    expect((await rejection(rawGguf({ tensorCount: 1n << 60n }))).code).toBe('integer-overflow');
    expect((await rejection(rawGguf({ tensorCount: 1n << 40n }))).code).toBe('limit-exceeded');
    expect((await rejection(rawGguf({ keyCount: 100_000n }))).code).toBe('truncated');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('truncated metadata', async () => {
    const whole = concatBytes(encodeGguf({ 'general.name': gguf.string('a model name') }, []));
    for (const cut of [10, 24, 30, 40, 46, 60]) {
      expect(await rejection(whole.subarray(0, cut))).toBeInstanceOf(TruncatedFileError);
    }
  });

  it('a string length beyond the end of the file', async () => {
    const key = (writer: ByteWriter) => {
      writer.u64(1n << 62n);
    };
    const error = await rejection(rawGguf({ keys: [key], dataBytes: 64 }));
    expect(error.code).toBe('truncated');
    expect(error.message).toMatch(/metadata key #0 claims 4611686018427387904 bytes/);
  });

  it('a string item that is cut short or not UTF-8, naming the item', async () => {
    const tokens = (third: (writer: ByteWriter) => void) => (writer: ByteWriter) => {
      writer.string('tokenizer.ggml.tokens');
      writer.u32(9);
      writer.u32(8);
      writer.u64(3);
      writer.string('a');
      writer.string('b');
      third(writer);
    };
    const long = await rejection(rawGguf({ keys: [tokens((writer) => writer.u64(1n << 61n))], dataBytes: 64 }));
    expect(long).toMatchObject({ code: 'truncated', subject: 'tokenizer.ggml.tokens' });
    expect(long.message).toMatch(/item 2 of array 'tokenizer.ggml.tokens' claims 2305843009213693952 bytes/);
    const invalid = await rejection(
      rawGguf({
        keys: [
          tokens((writer) => {
            writer.u64(2);
            writer.u8(0xc3);
            writer.u8(0x28);
          }),
        ],
      }),
    );
    expect(invalid).toMatchObject({ code: 'invalid-utf8', subject: 'tokenizer.ggml.tokens' });
    expect(invalid.message).toMatch(/item 2 of array 'tokenizer.ggml.tokens' is not valid UTF-8/);
  });

  it('an array length beyond the end of the file', async () => {
    const key = (writer: ByteWriter) => {
      writer.string('tokenizer.ggml.tokens');
      writer.u32(9);
      writer.u32(8);
      writer.u64(1n << 50n);
    };
    const error = await rejection(rawGguf({ keys: [key], dataBytes: 64 }));
    expect(error).toMatchObject({ code: 'truncated', subject: 'tokenizer.ggml.tokens' });
  });

  it('unknown value types, in values and in arrays', async () => {
    const scalar = (writer: ByteWriter) => {
      writer.string('weird');
      writer.u32(13);
    };
    expect(await rejection(rawGguf({ keys: [scalar] }))).toMatchObject({ code: 'unknown-value-type', subject: 'weird', got: '13' });
    const array = (writer: ByteWriter) => {
      writer.string('weird.array');
      writer.u32(9);
      writer.u32(99);
      writer.u64(0);
    };
    expect(await rejection(rawGguf({ keys: [array] }))).toMatchObject({ code: 'unknown-value-type', subject: 'weird.array' });
  });

  it('arrays nested too deep, and bools that are not 0 or 1', async () => {
    const deep = (writer: ByteWriter) => {
      writer.string('deep');
      writer.u32(9);
      for (let i = 0; i < 20; i++) {
        writer.u32(9);
        writer.u64(1);
      }
    };
    expect((await rejection(rawGguf({ keys: [deep], dataBytes: 64 }))).code).toBe('limit-exceeded');
    const bool = (writer: ByteWriter) => {
      writer.string('flag');
      writer.u32(7);
      writer.u8(2);
    };
    expect((await rejection(rawGguf({ keys: [bool] }))).code).toBe('invalid-value');
  });

  it('duplicate keys and duplicate tensor names', async () => {
    expect(await rejection(rawGguf({ keys: [u32Key('a', 1), u32Key('a', 2)] }))).toMatchObject({ code: 'duplicate-key', subject: 'a' });
    expect(await rejection(rawGguf({ tensors: [f32Tensor(0), f32Tensor(32)], dataBytes: 64 }))).toMatchObject({ code: 'duplicate-name', subject: 'w' });
  });

  it('unknown and unsupported tensor types, naming the tensor and the type id', async () => {
    const unknown = await rejection(rawGguf({ tensors: [{ name: 'blk.0.attn_q.weight', dims: [32], type: 99, offset: 0 }], dataBytes: 64 }));
    expect(unknown).toBeInstanceOf(UnsupportedDTypeError);
    expect(unknown.subject).toBe('blk.0.attn_q.weight');
    expect(unknown.message).toMatch(/ggml type 99/);
    expect((await rejection(rawGguf({ tensors: [{ name: 'x', dims: [256], type: 19, offset: 0 }], dataBytes: 256 }))).message).toMatch(/IQ1_S/);
    // A known layout Cria does not load parses (metadata stays readable) and fails on read.
    const file = await open(rawGguf({ tensors: [{ name: 'q5', dims: [256], type: 13, offset: 0 }], dataBytes: 176 }));
    await expect(file.read('q5')).rejects.toThrow(/Q5_K/);
  });

  it('bad dims: too many, overflowing products, beyond 2^53, partial blocks', async () => {
    expect((await rejection(rawGguf({ tensors: [{ name: 'w', dims: [1, 1, 1, 1, 1], type: 0, offset: 0 }] }))).code).toBe('invalid-dims');
    expect((await rejection(rawGguf({ tensors: [{ name: 'w', dims: [], type: 0, offset: 0 }] }))).code).toBe('invalid-dims');
    expect((await rejection(rawGguf({ tensors: [{ name: 'w', dims: [2 ** 40, 2 ** 20], type: 0, offset: 0 }] }))).code).toBe('integer-overflow');
    expect((await rejection(rawGguf({ tensors: [{ name: 'w', dims: [1n << 60n], type: 0, offset: 0 }] }))).code).toBe('integer-overflow');
    expect((await rejection(rawGguf({ tensors: [{ name: 'w', dims: [20], type: 8, offset: 0 }], dataBytes: 64 }))).code).toBe('invalid-dims');
  });

  it('misaligned offsets and a bad general.alignment', async () => {
    expect(await rejection(rawGguf({ tensors: [f32Tensor(4)], dataBytes: 64 }))).toMatchObject({ code: 'misaligned', subject: 'w' });
    expect((await rejection(rawGguf({ keys: [u32Key('general.alignment', 24)] }))).code).toBe('invalid-value');
    expect((await rejection(rawGguf({ keys: [u32Key('general.alignment', 0)] }))).code).toBe('invalid-value');
  });

  it('tensor data beyond the end of the file', async () => {
    expect(await rejection(rawGguf({ tensors: [f32Tensor(1024)], dataBytes: 16 }))).toMatchObject({ code: 'offset-out-of-bounds', subject: 'w' });
    const truncated = await rejection(rawGguf({ tensors: [{ name: 'blk.0.ffn_up.weight', dims: [64, 4], type: 0, offset: 0 }], dataBytes: 100 }));
    expect(truncated).toBeInstanceOf(TruncatedFileError);
    expect(truncated.message).toMatch(/expected 1024 bytes, got 100 bytes/);
  });

  it('overlapping tensors', async () => {
    const error = await rejection(rawGguf({ tensors: [{ name: 'a', dims: [16], type: 0, offset: 0 }, f32Tensor(32, 'b')], dataBytes: 64 }));
    expect(error).toMatchObject({ code: 'overlap', subject: 'b' });
  });
});

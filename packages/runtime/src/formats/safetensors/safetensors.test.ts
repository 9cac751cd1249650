import { f32ToBf16Bits, fromBf16, fromF16, toF16 } from '@cria/kernels';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../chunks.js';
import { ModelFormatError, TruncatedFileError, UnsupportedDTypeError } from '../errors.js';
import { BlobByteSource, MemoryByteSource } from '../sources/byte-source.js';
import { SafetensorsFile } from './safetensors-file.js';
import { encodeSafetensors } from './safetensors-writer.js';

/** A safetensors file from a raw header (object or exact JSON text) and `dataBytes` zero bytes of data. */
function rawFile(header: unknown, dataBytes: number, lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, lengthField ?? BigInt(json.byteLength), true);
  bytes.set(json, 8);
  return bytes;
}

function open(bytes: Uint8Array): Promise<SafetensorsFile> {
  return SafetensorsFile.open(new MemoryByteSource(bytes, 'model.safetensors'));
}

async function rejection(bytes: Uint8Array): Promise<ModelFormatError> {
  const error = await open(bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelFormatError);
  const formatError = error as ModelFormatError;
  expect(formatError.file).toBe('model.safetensors');
  expect(formatError.message).toMatch(/Hint: /);
  return formatError;
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('safetensors round trip', () => {
  const values = Float32Array.from({ length: 24 }, (_, i) => (i - 12) / 7);

  it('writes F32/F16/BF16 with __metadata__ and reads back identical tensors', async () => {
    const bytes = concatBytes(
      encodeSafetensors(
        [
          { name: 'a.weight', dtype: 'F32', shape: [4, 6], data: values },
          { name: 'b.weight', dtype: 'F16', shape: [2, 3, 4], data: values },
          { name: 'c.bias', dtype: 'BF16', shape: [24], data: values },
          { name: 'empty', dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
          { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([2.5]) },
        ],
        { format: 'pt', note: 'ünïcode' },
      ),
    );
    expect((bytes.byteLength - 8 - 24 * 4 - 24 * 2 * 2 - 4) % 8).toBe(0); // header padded to 8
    const file = await open(bytes);
    expect(file.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect([...file.tensors.keys()]).toEqual(['a.weight', 'b.weight', 'c.bias', 'empty', 'scalar']);
    const a = await file.read('a.weight');
    expect(a.dtype).toBe('f32');
    expect(a.shape).toEqual([4, 6]);
    expect([...(a.data as Float32Array)]).toEqual([...values]);
    const b = await file.read('b.weight');
    expect(b.dtype).toBe('f16');
    expect([...fromF16(b.data as Uint16Array)]).toEqual([...fromF16(toF16(values))]);
    const c = await file.read('c.bias');
    expect(c.dtype).toBe('bf16');
    expect([...(c.data as Uint16Array)]).toEqual([...values].map(f32ToBf16Bits));
    expect([...fromBf16(c.data as Uint16Array)].every((value, i) => Math.abs(value - values[i]!) < 0.01)).toBe(true);
    expect((await file.read('empty')).data.length).toBe(0);
    expect([...((await file.read('scalar')).data as Float32Array)]).toEqual([2.5]);
  });

  it('reads rows of a tensor as stored, into a caller buffer when it fits', async () => {
    const bytes = concatBytes(encodeSafetensors([{ name: 'w', dtype: 'F16', shape: [2, 3, 4], data: values }]));
    const file = await open(bytes);
    const scratch = new Uint8Array(64);
    const rows = await file.readRows('w', 2, 3, scratch); // rows are the innermost dim: 6 rows of 4
    expect(rows).toMatchObject({ dtype: 'f16', shape: [3, 4] });
    expect(rows.data.buffer).toBe(scratch.buffer);
    expect(rows.data).toEqual((await file.read('w')).data.subarray(8, 20));
    await expect(file.readRows('w', 5, 2)).rejects.toThrow(/'w' has 6 rows/);
  });

  it('streams a tensor in chunks and reads through a Blob', async () => {
    const bytes = concatBytes(encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [24], data: values }]));
    const file = await SafetensorsFile.open(new BlobByteSource(new Blob([bytes as Uint8Array<ArrayBuffer>]), 'blob.safetensors'));
    const pieces: Uint8Array[] = [];
    for await (const piece of file.chunks('w', 40)) pieces.push(piece);
    expect(pieces.map((piece) => piece.byteLength)).toEqual([40, 40, 16]);
    expect(concatBytes(pieces)).toEqual(await file.readBytes('w'));
    expect(new Float32Array(concatBytes(pieces).buffer)).toEqual(values);
  });

  it('keeps raw F16 bits and rejects bad writer input', () => {
    const bits = toF16(values);
    const [, data] = encodeSafetensors([{ name: 'w', dtype: 'F16', shape: [24], data: bits }]);
    expect(new Uint16Array(data!.buffer, data!.byteOffset, 24)).toEqual(bits);
    expect(() => encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [5], data: values }])).toThrow(/wrong amount of data/);
    expect(() => encodeSafetensors([{ name: '__metadata__', dtype: 'F32', shape: [24], data: values }])).toThrow(/reserved/);
    const twice = { name: 'w', dtype: 'F32' as const, shape: [24], data: values };
    expect(() => encodeSafetensors([twice, twice])).toThrow(/used twice/);
  });
});

describe('safetensors rejects malformed files', () => {
  it('a file shorter than the header length field', async () => {
    const error = await rejection(new Uint8Array(5));
    expect(error).toBeInstanceOf(TruncatedFileError);
  });

  it('a header length beyond the file (lying header)', async () => {
    const error = await rejection(rawFile({}, 0, 1000n));
    expect(error.code).toBe('truncated');
    expect(error.expected).toBe('1008 bytes');
  });

  it('a header length beyond 100 MB, without allocating it', async () => {
    const error = await rejection(rawFile({}, 0, 1n << 60n));
    expect(error.code).toBe('header-too-large');
  });

  it('invalid UTF-8, invalid JSON and a non-object header', async () => {
    const bytes = rawFile('{"a":1}', 0);
    bytes[10] = 0xff;
    expect((await rejection(bytes)).code).toBe('invalid-utf8');
    expect((await rejection(rawFile('{"a": {', 0))).code).toBe('invalid-json');
    expect((await rejection(rawFile('[1, 2]', 0))).code).toBe('invalid-header');
  });

  it('a tensor named twice', async () => {
    const text = `{"w": ${JSON.stringify(entry('F32', [1], 0, 4))}, "w": ${JSON.stringify(entry('F32', [1], 4, 8))}}`;
    const error = await rejection(rawFile(text, 8));
    expect(error.code).toBe('duplicate-name');
    expect(error.subject).toBe('w');
  });

  it('__metadata__ that is not a map of strings', async () => {
    expect((await rejection(rawFile({ __metadata__: { format: 1 } }, 0))).subject).toBe('__metadata__');
  });

  it('entries without dtype, shape or data_offsets, or with bad values', async () => {
    expect((await rejection(rawFile({ w: { dtype: 'F32', shape: [1] } }, 4))).code).toBe('invalid-header');
    expect((await rejection(rawFile({ w: entry('F32', [-1], 0, 4) }, 4))).code).toBe('invalid-header');
    expect((await rejection(rawFile({ w: entry('F32', [1.5], 0, 4) }, 4))).code).toBe('invalid-header');
    expect((await rejection(rawFile({ w: entry('F32', [1], 4, 0) }, 4))).code).toBe('invalid-header');
    expect((await rejection(rawFile({ w: 'nope' }, 4))).code).toBe('invalid-header');
  });

  it('an unknown dtype, naming the tensor', async () => {
    const error = await rejection(rawFile({ 'model.w': entry('Q4', [1], 0, 4) }, 4));
    expect(error).toBeInstanceOf(UnsupportedDTypeError);
    expect(error.subject).toBe('model.w');
    expect(error.message).toMatch(/Q4/);
  });

  it('a known dtype Cria cannot load, when read', async () => {
    const file = await open(rawFile({ position_ids: entry('I64', [2], 0, 16) }, 16));
    await expect(file.read('position_ids')).rejects.toThrow(UnsupportedDTypeError);
    expect((await file.readBytes('position_ids')).byteLength).toBe(16);
    await expect(file.read('missing')).rejects.toMatchObject({ code: 'missing-tensor' });
  });

  it('dims whose product overflows 2^53', async () => {
    const error = await rejection(rawFile({ w: entry('F32', [2 ** 30, 2 ** 30, 2 ** 10], 0, 4) }, 4));
    expect(error.code).toBe('integer-overflow');
    expect((await rejection(rawFile({ w: entry('F32', [2 ** 60], 0, 4) }, 4))).code).toBe('integer-overflow');
  });

  it('offsets that disagree with shape × dtype size', async () => {
    const error = await rejection(rawFile({ w: entry('F16', [3], 0, 4) }, 4));
    expect(error.code).toBe('size-mismatch');
    expect(error.expected).toBe('6 bytes');
  });

  it('offsets beyond the end of the file, and a truncated data section', async () => {
    expect((await rejection(rawFile({ w: entry('F32', [1], 400, 404) }, 8))).code).toBe('offset-out-of-bounds');
    const error = await rejection(rawFile({ 'model.layers.0.mlp.up_proj.weight': entry('F32', [100], 0, 400) }, 300));
    expect(error).toBeInstanceOf(TruncatedFileError);
    expect(error.message).toMatch(/expected 400 bytes, got 300 bytes/);
    expect(error.message).toMatch(/re-download/);
  });

  it('overlapping tensors, holes and trailing bytes', async () => {
    expect((await rejection(rawFile({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, 12))).code).toBe('overlap');
    expect((await rejection(rawFile({ a: entry('F32', [1], 0, 4), b: entry('F32', [1], 8, 12) }, 12))).code).toBe('gap');
    expect((await rejection(rawFile({ a: entry('F32', [1], 4, 8) }, 8))).code).toBe('gap');
    expect((await rejection(rawFile({ a: entry('F32', [1], 0, 4) }, 8))).code).toBe('gap');
  });
});

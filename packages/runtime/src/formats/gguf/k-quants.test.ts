import { dequantizeQ8_0, f32ToF16Bits, f16BitsToF32 } from '@cria/kernels';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../chunks.js';
import { MemoryByteSource } from '../sources/byte-source.js';
import { ByteWriter } from './byte-writer.js';
import { GgufFile } from './gguf-file.js';
import { GGUF_MAGIC } from './gguf-header.js';
import { packQ4K, packQ6K } from '../test-model/k-quant-encode.js';
import { dequantizeQ4_K, dequantizeQ6_K, q4KScaleMin, QK_K } from './k-quants.js';

/** A seeded stream of small integers, so the blocks below are reproducible. */
function integers(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % below;
  };
}

describe('k-quant dequantizers', () => {
  it('Q4_K unpacks 6-bit scales and mins and both nibbles of each sub-block pair', () => {
    const next = integers(1);
    const blocks: Uint8Array[] = [];
    const expected: number[] = [];
    for (let b = 0; b < 3; b++) {
      const d = f16BitsToF32(f32ToF16Bits(0.01 * (b + 1)));
      const dmin = f16BitsToF32(f32ToF16Bits(0.003 * (b + 2)));
      const scales = Array.from({ length: 8 }, () => next(64));
      const mins = Array.from({ length: 8 }, () => next(64));
      scales[7] = 63; // exercise the high bits of the packing
      mins[4] = 63;
      const quants = Array.from({ length: QK_K }, () => next(16));
      const block = packQ4K(d, dmin, scales, mins, quants);
      for (let j = 0; j < 8; j++) expect(q4KScaleMin(block.subarray(4, 16), j)).toEqual([scales[j], mins[j]]);
      blocks.push(block);
      for (let i = 0; i < QK_K; i++) {
        const sub = i >> 5;
        expected.push(Math.fround(Math.fround(Math.fround(d * scales[sub]!) * quants[i]!) - Math.fround(dmin * mins[sub]!)));
      }
    }
    expect([...dequantizeQ4_K(concatBytes(blocks), 3 * QK_K)]).toEqual(expected);
  });

  it('Q6_K joins low and high bits and applies one int8 scale per 16 values', () => {
    const next = integers(2);
    const d = f16BitsToF32(f32ToF16Bits(0.0123));
    const scales = Array.from({ length: 16 }, () => next(256) - 128);
    const quants = Array.from({ length: QK_K }, () => next(64));
    quants[0] = 0;
    quants[255] = 63;
    const values = dequantizeQ6_K(packQ6K(d, scales, quants), QK_K);
    expect([...values]).toEqual(quants.map((q, i) => Math.fround(Math.fround(d * scales[i >> 4]!) * (q - 32))));
  });

  it('rejects partial super-blocks', () => {
    expect(() => dequantizeQ4_K(new Uint8Array(144), 128)).toThrow(/super-block size 256/);
    expect(() => dequantizeQ6_K(new Uint8Array(100), 256)).toThrow(/need 210 bytes/);
  });
});

describe('GGUF k-quant tensors load as kernel types', () => {
  const next = integers(3);
  const q4k = concatBytes(
    Array.from({ length: 2 }, () =>
      packQ4K(0.02, 0.01, Array.from({ length: 8 }, () => next(64)), Array.from({ length: 8 }, () => next(64)), Array.from({ length: QK_K }, () => next(16))),
    ),
  );
  const q6k = packQ6K(0.01, Array.from({ length: 16 }, () => next(100) - 50), Array.from({ length: QK_K }, () => next(64)));

  // Assembled field by field (offsets and all), independent of the writer.
  const writer = new ByteWriter();
  writer.u32(GGUF_MAGIC);
  writer.u32(3);
  writer.u64(2);
  writer.u64(0);
  for (const [name, dims, type, offset] of [['q4k', [256, 2], 12, 0], ['q6k', [256], 14, 288]] as const) {
    writer.string(name);
    writer.u32(dims.length);
    for (const dim of dims) writer.u64(dim);
    writer.u32(type);
    writer.u64(offset);
  }
  writer.pad(32);
  const file = concatBytes([writer.finish(), q4k, new Uint8Array(288 - q4k.byteLength), q6k]);

  it('converts to Q8_0 by default, or to f32 / Q4_0 on request', async () => {
    const gguf = await GgufFile.open(new MemoryByteSource(file, 'k.gguf'));
    expect(gguf.info('q4k')).toMatchObject({ type: 'Q4_K', shape: [2, 256], byteLength: 288 });
    const exact = await gguf.read('q4k', { kQuantTarget: 'f32' });
    expect(exact.data).toEqual(dequantizeQ4_K(q4k, 512));
    const q8 = await gguf.read('q4k');
    expect(q8.dtype).toBe('q8_0');
    const restored = dequantizeQ8_0(q8.data as Uint8Array, 512);
    const amax = Math.max(...(exact.data as Float32Array).map(Math.abs));
    for (let i = 0; i < 512; i++) expect(Math.abs(restored[i]! - (exact.data as Float32Array)[i]!)).toBeLessThanOrEqual(amax / 254 + 1e-6);
    expect((await gguf.read('q6k', { kQuantTarget: 'q4_0' })).dtype).toBe('q4_0');
    // Row by row (how the loader streams), each row converts to the same blocks as the whole.
    const second = await gguf.readRows('q4k', 1, 1);
    expect(second).toMatchObject({ dtype: 'q8_0', shape: [1, 256] });
    expect(second.data).toEqual((q8.data as Uint8Array).subarray(8 * 34, 16 * 34));
    expect((await gguf.readRows('q4k', 0, 1, new Uint8Array(4096), { kQuantTarget: 'f32' })).data).toEqual((exact.data as Float32Array).subarray(0, 256));
    expect(await gguf.readF32('q6k')).toEqual(dequantizeQ6_K(q6k, 256));
  });
});

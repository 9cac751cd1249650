import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import { createReferenceBackend } from '../reference/reference-backend.js';
import { normalisedError } from '../testing/error-metrics.js';
import { Random } from '../testing/random.js';
import { createWasmBackend } from './create-wasm-backend.js';

/**
 * The integer prefill path (assembly/matmul/matmul-quantized.ts, M ≥ 4 with Q8_0 / Q4_0 weights):
 * prefill-sized shapes with partial 4×8 tiles on both edges (odd last groups, 1–7 columns), a
 * batched A over one weight, and inputs at the ends of the int8 range, where the Q4_0 kernel's i16 lane sums peak at 30480.
 */
const reference = createReferenceBackend();
const random = new Random(20261122);
const QUANT_TOLERANCE = 5e-4; // int8 activations, as in src/testing/op-cases.ts

const quantize = { q8_0: quantizeQ8_0, q4_0: quantizeQ4_0 } as const;
type QuantizedType = keyof typeof quantize;

async function matmul(backend: Backend, a: Float32Array, aShape: number[], dtype: QuantizedType, w: Uint8Array, N: number, K: number) {
  const ta = backend.tensor('f32', aShape, a);
  const tw = backend.tensor(dtype, [N, K], w);
  const out = backend.tensor('f32', [...aShape.slice(0, -1), N]);
  backend.matmul({ out, a: ta, b: tw, transposeB: true });
  const result = await backend.read(out);
  for (const tensor of [ta, tw, out]) backend.free(tensor);
  return result;
}

describe.each([
  { variant: 'simd', threads: 1 },
  { variant: 'relaxed', threads: 1 },
  { variant: 'simd', threads: 2 },
  { variant: 'relaxed', threads: 2 },
] as const)('wasm $variant, $threads thread(s): quantized matmul from 4 rows', ({ variant, threads }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createWasmBackend({ variant, threads });
  });
  afterAll(() => backend.dispose());

  it.each(['q8_0', 'q4_0'] as const)('%s: M × N × K over partial tiles, past one 256-row pass', async (dtype) => {
    // 300 rows: more than one 256-row pass over the same weights.
    for (const [M, N, K] of [[4, 1, 32], [5, 3, 64], [7, 203, 544], [130, 77, 2048], [128, 258, 576], [300, 13, 96]] as const) {
      const a = random.floats(M * K);
      const w = quantize[dtype](random.floats(N * K));
      const expected = await matmul(reference, a, [M, K], dtype, w, N, K);
      const got = await matmul(backend, a, [M, K], dtype, w, N, K);
      expect(normalisedError(got, expected), `${M}×${N}×${K}`).toBeLessThan(QUANT_TOLERANCE);
    }
  });

  it.each(['q8_0', 'q4_0'] as const)('%s: a batched A [2, 6, K] against one weight matrix', async (dtype) => {
    const [batch, M, N, K] = [2, 6, 19, 96];
    const a = random.floats(batch * M * K);
    const w = quantize[dtype](random.floats(N * K));
    const expected = await matmul(reference, a, [batch, M, K], dtype, w, N, K);
    const got = await matmul(backend, a, [batch, M, K], dtype, w, N, K);
    expect(normalisedError(got, expected)).toBeLessThan(QUANT_TOLERANCE);
  });

  it.each(['q8_0', 'q4_0'] as const)('%s: extreme codes (|activation| = 127, nibbles 0 and 15) sum exactly', async (dtype) => {
    // Rows of ±1 quantize to ±127 exactly. Q4_0 rows of one −1 then 0.875 give d = 1/8 and codes
    // 0 then 15 (values −1 and 0.875), the largest lane sums the kernel accumulates in i16.
    const [M, N, K] = [9, 6, 256];
    const a = Float32Array.from({ length: M * K }, (_, i) => (Math.floor(i / K) % 2 === 0 ? 1 : -1));
    const values = Float32Array.from({ length: N * K }, (_, i) => {
      const row = Math.floor(i / K);
      if (row % 3 === 0) return i % 32 === 0 ? -1 : 0.875;
      if (row % 3 === 1) return -1;
      return i % 2 === 0 ? 1 : -1;
    });
    const w = quantize[dtype](values);
    const expected = await matmul(reference, a, [M, K], dtype, w, N, K);
    const got = await matmul(backend, a, [M, K], dtype, w, N, K);
    expect(normalisedError(got, expected)).toBeLessThan(1e-12);
  });
});

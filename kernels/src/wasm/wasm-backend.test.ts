import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { ResourceLimitError, ShapeMismatchError, TensorStateError } from '../errors.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import { toBf16, toF16 } from '../numeric/half.js';
import { createReferenceBackend } from '../reference/reference-backend.js';
import { normalisedError } from '../testing/error-metrics.js';
import { Random } from '../testing/random.js';
import { createWasmBackend } from './create-wasm-backend.js';

/**
 * Shapes the random harness rarely reaches: larger than one cache block in every dimension
 * (KC = 256, MC = 128, NC = 1024, 64-key attention blocks), odd everywhere, on both builds, on one
 * thread and split across two.
 */
const reference = createReferenceBackend();
const random = new Random(20260721);

function weights(dtype: DType, values: Float32Array): ArrayBufferView {
  if (dtype === 'f16') return toF16(values);
  if (dtype === 'bf16') return toBf16(values);
  if (dtype === 'q8_0') return quantizeQ8_0(values);
  if (dtype === 'q4_0') return quantizeQ4_0(values);
  return values;
}

/** Runs `op` on the reference and on `backend` with the same inputs; returns the normalised error. */
async function compare(
  backend: Backend,
  inputs: Record<string, { dtype: DType; shape: number[]; data: ArrayBufferView }>,
  output: number[],
  op: (on: Backend, tensors: Record<string, ReturnType<Backend['tensor']>>, out: ReturnType<Backend['tensor']>) => void,
): Promise<number> {
  const results: ArrayLike<number>[] = [];
  for (const on of [reference, backend]) {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([name, spec]) => [name, on.tensor(spec.dtype, spec.shape, spec.data)]));
    const out = on.tensor('f32', output);
    op(on, tensors, out);
    results.push(await on.read(out));
    for (const tensor of [...Object.values(tensors), out]) on.free(tensor);
  }
  return normalisedError(results[1]!, results[0]!);
}

describe.each([
  { variant: 'simd', threads: 1 },
  { variant: 'relaxed', threads: 1 },
  { variant: 'simd', threads: 2 },
  { variant: 'relaxed', threads: 2 },
] as const)('wasm $variant, $threads thread(s): large shapes', ({ variant, threads }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createWasmBackend({ variant, threads });
  });
  afterAll(() => backend.dispose());

  it.each([false, true])('f32 matmul 257×300×513 (transposeB %s) crosses every cache block', async (transposeB) => {
    const [M, K, N] = [257, 513, 300];
    const bShape = transposeB ? [N, K] : [K, N];
    const error = await compare(
      backend,
      { a: { dtype: 'f32', shape: [M, K], data: random.floats(M * K) }, b: { dtype: 'f32', shape: bShape, data: random.floats(K * N) } },
      [M, N],
      (on, { a, b }, out) => on.matmul({ out, a: a!, b: b!, transposeB }),
    );
    expect(error).toBeLessThan(1e-9);
  });

  it('batched matmul with a broadcast B and N past one column block (NC = 1024)', async () => {
    const [batch, M, K, N] = [2, 9, 40, 1100];
    const error = await compare(
      backend,
      { a: { dtype: 'f32', shape: [batch, M, K], data: random.floats(batch * M * K) }, b: { dtype: 'f32', shape: [K, N], data: random.floats(K * N) } },
      [batch, M, N],
      (on, { a, b }, out) => on.matmul({ out, a: a!, b: b!, transposeB: false }),
    );
    expect(error).toBeLessThan(1e-9);
  });

  it.each(['f16', 'bf16', 'q8_0', 'q4_0'] as const)('%s weights: matvec (M = 1) and blocked matmul (M = 37), K = 544', async (dtype) => {
    const [K, N] = [544, 203];
    const b = { dtype, shape: [N, K], data: weights(dtype, random.floats(N * K)) };
    const tolerance = dtype === 'q8_0' || dtype === 'q4_0' ? 5e-4 : 1e-9;
    for (const M of [1, 3, 37]) {
      const error = await compare(
        backend,
        { a: { dtype: 'f32', shape: [M, K], data: random.floats(M * K) }, b },
        [M, N],
        (on, { a, b }, out) => on.matmul({ out, a: a!, b: b!, transposeB: true }),
      );
      expect(error, `M = ${M}`).toBeLessThan(tolerance);
    }
  });

  it('attention: a 150-token prefill and a decode step over 300 cached keys (GQA 6:2)', async () => {
    for (const [T, kvLength, S] of [[150, 150, 160], [1, 300, 320]] as const) {
      const [B, nHeads, nKvHeads, D] = [1, 6, 2, 40];
      const error = await compare(
        backend,
        {
          q: { dtype: 'f32', shape: [B, T, nHeads, D], data: random.normals(B * T * nHeads * D) },
          k: { dtype: 'f32', shape: [B, S, nKvHeads, D], data: random.normals(B * S * nKvHeads * D) },
          v: { dtype: 'f32', shape: [B, S, nKvHeads, D], data: random.normals(B * S * nKvHeads * D) },
        },
        [B, T, nHeads, D],
        (on, { q, k, v }, out) => on.attention({ out, q: q!, k: k!, v: v!, kvLength, scale: 1 / Math.sqrt(D) }),
      );
      expect(error, `T = ${T}, kvLength = ${kvLength}`).toBeLessThan(1e-7);
    }
  });
});

describe('createWasmBackend', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('describes itself, and defaults to min(cores, 4) threads where shared memory exists', async () => {
    const backend = await createWasmBackend();
    const { availableParallelism } = await import('node:os');
    const threads = Math.min(availableParallelism(), 4);
    expect(backend.info.description).toBe(`wasm relaxed-simd, ${threads} thread${threads > 1 ? 's' : ''}`);
    expect(backend.info.details).toMatchObject({ variant: 'relaxed', threads, sharedMemory: threads > 1 });
    backend.dispose();
  });

  it('falls back to one thread when SharedArrayBuffer is unavailable (a page without cross-origin isolation)', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const backend = await createWasmBackend({ variant: 'simd', threads: 2 });
    expect(backend.info.description).toBe('wasm simd, 1 thread');
    expect(backend.info.details).toMatchObject({ threads: 1, sharedMemory: false });
    const x = backend.tensor('f32', [3], new Float32Array([1, -2, 3]));
    const out = backend.tensor('f32', [3]);
    backend.scale({ out, x, factor: 2 });
    expect(Array.from(await backend.read(out))).toEqual([2, -4, 6]);
    backend.dispose();
  });

  it('reads back into unshared ArrayBuffers even when memory is shared', async () => {
    const backend = await createWasmBackend({ threads: 2 });
    const tensor = backend.tensor('i32', [4], new Int32Array([1, 2, 3, 4]));
    const data = await backend.read(tensor);
    expect(data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(data)).toEqual([1, 2, 3, 4]);
    backend.dispose();
  });

  it('writes part of a tensor (writeBytes, for streamed uploads) and refuses bytes outside it', async () => {
    const backend = await createWasmBackend({ threads: 1 });
    const tensor = backend.tensor('q4_0', [2, 32]); // 2 blocks of 18 bytes
    const block = quantizeQ4_0(Float32Array.from({ length: 32 }, (_, i) => i - 16));
    backend.writeBytes(tensor, 18, block);
    const bytes = (await backend.read(tensor)) as Uint8Array;
    expect(bytes.subarray(0, 18).every((byte) => byte === 0)).toBe(true);
    expect(bytes.subarray(18)).toEqual(block);
    expect(() => backend.writeBytes(tensor, 19, block)).toThrow(ShapeMismatchError);
    expect(() => backend.writeBytes(tensor, -1, new Uint8Array(1))).toThrow(ShapeMismatchError);
    backend.free(tensor);
    expect(() => backend.writeBytes(tensor, 0, block)).toThrow(TensorStateError);
    backend.dispose();
  });

  it('zero-fills new tensors, rejects use after free, and refuses tensors beyond 4 GiB', async () => {
    const backend = await createWasmBackend({ variant: 'simd', threads: 1 });
    const first = backend.tensor('f32', [64], new Float32Array(64).fill(7));
    backend.free(first);
    const second = backend.tensor('f32', [64]); // likely the same block: must not show the old 7s
    expect(Array.from(await backend.read(second)).every((value) => value === 0)).toBe(true);
    await expect(backend.read(first)).rejects.toThrow(TensorStateError);
    expect(() => backend.tensor('f32', [2 ** 30 + 1])).toThrow(ResourceLimitError);
    backend.dispose();
    expect(() => backend.tensor('f32', [1])).toThrow(/disposed/);
  });
});

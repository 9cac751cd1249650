import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { toF16 } from '../numeric/half.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import { Random } from '../testing/random.js';
import { createWasmBackend } from './create-wasm-backend.js';

/**
 * matvec, the integer prefill matmul and attention hand out their work in chunks that threads claim
 * as they go (assembly/common/work-queue.ts): who computes which chunk changes from call to call,
 * but each output is computed by one thread in one order, so results must be bit-identical on 1,
 * 2 and 3 threads and across repeated calls.
 */
const random = new Random(20261122);

async function results(threads: number, run: (backend: Backend) => ReturnType<Backend['tensor']>): Promise<Float32Array[]> {
  const backend = await createWasmBackend({ variant: 'relaxed', threads, parallelThreshold: 0 });
  try {
    const out: Float32Array[] = [];
    for (let repeat = 0; repeat < 3; repeat++) out.push((await backend.read(run(backend))) as Float32Array);
    return out;
  } finally {
    backend.dispose();
  }
}

async function expectSameOnEveryThreadCount(run: (backend: Backend) => ReturnType<Backend['tensor']>): Promise<void> {
  const single = (await results(1, run))[0]!;
  for (const threads of [1, 2, 3]) {
    for (const got of await results(threads, run)) expect(Buffer.from(got.buffer).equals(Buffer.from(single.buffer)), `${threads} threads`).toBe(true);
  }
}

describe('dynamic work sharing (wasm relaxed)', () => {
  const K = 320;
  let q4: Uint8Array, q8: Uint8Array, activations: Float32Array;
  beforeAll(() => {
    const w = random.floats(517 * K);
    q4 = quantizeQ4_0(w);
    q8 = quantizeQ8_0(w);
    activations = random.floats(2 * 261 * K);
  });

  it.each([
    ['q4_0 matvec, 3 rows in 2 batches', 'q4_0', [2, 3]],
    ['q8_0 matvec', 'q8_0', [1, 1]],
    ['q4_0 prefill past one 256-row pass, 2 batches', 'q4_0', [2, 261]],
    ['q8_0 prefill', 'q8_0', [1, 37]],
  ] as const)('%s gives the same bits on 1, 2 and 3 threads', async (_, dtype, [batch, M]) => {
    await expectSameOnEveryThreadCount((backend) => {
      const a = backend.tensor('f32', [batch, M, K], activations.subarray(0, batch * M * K));
      const b = backend.tensor(dtype, [517, K], dtype === 'q4_0' ? q4 : q8);
      const out = backend.tensor('f32', [batch, M, 517]);
      backend.matmul({ out, a, b, transposeB: true });
      return out;
    });
  });

  it.each([
    ['a causal prefill over cached keys, GQA 6:2', 19, 64, 40, 'f32'],
    ['a prefill of 4 query tiles per KV head over an f16 cache, GQA 6:2', 70, 100, 90, 'f16'],
    ['decode over 3 splits of the cache (merged partials), GQA 6:2', 1, 700, 650, 'f32'],
    ['two decode queries over an f16 cache of 2 splits', 2, 600, 520, 'f16'],
  ] as const)('attention (%s) gives the same bits on 1, 2 and 3 threads', async (_, T, S, kvLength, kvType) => {
    const [heads, kvHeads, D] = [6, 2, 32];
    const q = random.floats(T * heads * D);
    const k = random.floats(S * kvHeads * D);
    const v = random.floats(S * kvHeads * D);
    await expectSameOnEveryThreadCount((backend) => {
      const out = backend.tensor('f32', [1, T, heads, D]);
      backend.attention({
        out,
        q: backend.tensor('f32', [1, T, heads, D], q),
        k: backend.tensor(kvType, [1, S, kvHeads, D], kvType === 'f16' ? toF16(k) : k),
        v: backend.tensor(kvType, [1, S, kvHeads, D], kvType === 'f16' ? toF16(v) : v),
        kvLength,
        scale: 1 / Math.sqrt(D),
      });
      return out;
    });
  });
});

describe('several pools in one process', () => {
  it("two backends taking turns op by op (each waking the other's sleeping workers) keep their results", async () => {
    const K = 256;
    const w = quantizeQ4_0(random.floats(300 * K));
    const x = random.floats(4 * K);
    const backends = await Promise.all([createWasmBackend({ variant: 'relaxed', threads: 2, parallelThreshold: 0 }), createWasmBackend({ variant: 'relaxed', threads: 2, parallelThreshold: 0 })]);
    try {
      const tensors = backends.map((backend) => ({ a: backend.tensor('f32', [4, K], x), b: backend.tensor('q4_0', [300, K], w), out: backend.tensor('f32', [4, 300]) }));
      const expected = await results(1, (backend) => {
        const out = backend.tensor('f32', [4, 300]);
        backend.matmul({ out, a: backend.tensor('f32', [4, K], x), b: backend.tensor('q4_0', [300, K], w), transposeB: true });
        return out;
      });
      for (let turn = 0; turn < 40; turn++) {
        const index = turn % 2;
        const { a, b, out } = tensors[index]!;
        backends[index]!.matmul({ out, a, b, transposeB: true });
        const got = (await backends[index]!.read(out)) as Float32Array;
        expect(Buffer.from(got.buffer).equals(Buffer.from(expected[0]!.buffer)), `turn ${turn}`).toBe(true);
      }
    } finally {
      for (const backend of backends) backend.dispose();
    }
  });
});

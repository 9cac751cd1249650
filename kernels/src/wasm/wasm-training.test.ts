import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DType } from '../dtype.js';
import { toBf16, toF16 } from '../numeric/half.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import { createReferenceBackend } from '../reference/reference-backend.js';
import { normalisedError } from '../testing/error-metrics.js';
import { Random } from '../testing/random.js';
import type { Tensor } from '../tensor.js';
import type { TrainingBackend } from '../training-ops.js';
import { compileKernels, type BuildName } from './binaries.js';
import { createWasmBackend } from './create-wasm-backend.js';
import type { WasmBackend } from './wasm-backend.js';

/**
 * Wasm training ops beyond the random harness: gradients bit-identical for 1 and 2 threads (the
 * reductions are partitioned by output element), shapes past every cache block, and no data
 * segment in the modules (worker instances would re-copy it over live tensors).
 */
const random = new Random(20261121);

async function gradients(backend: TrainingBackend, run: (b: TrainingBackend, t: Record<string, Tensor>) => void, inputs: Record<string, [number[], Float32Array | Int32Array]>, outputs: Record<string, number[]>) {
  const tensors: Record<string, Tensor> = {};
  for (const [name, [shape, data]] of Object.entries(inputs)) tensors[name] = backend.tensor(data instanceof Int32Array ? 'i32' : 'f32', shape, data);
  for (const [name, shape] of Object.entries(outputs)) tensors[name] = backend.tensor('f32', shape);
  run(backend, tensors);
  const results: Record<string, Float32Array> = {};
  for (const name of Object.keys(outputs)) results[name] = (await backend.read(tensors[name]!)) as Float32Array;
  for (const tensor of Object.values(tensors)) backend.free(tensor);
  return results;
}

describe('wasm training ops', () => {
  let single: WasmBackend;
  let pooled: WasmBackend;
  const reference = createReferenceBackend();

  beforeAll(async () => {
    single = await createWasmBackend({ variant: 'relaxed', threads: 1 });
    pooled = await createWasmBackend({ variant: 'relaxed', threads: 2, parallelThreshold: 0 });
  });
  afterAll(() => {
    single?.dispose();
    pooled?.dispose();
  });

  it('modules carry no data segment', async () => {
    for (const build of ['simd', 'relaxed', 'simd-threads', 'relaxed-threads'] as BuildName[]) {
      const module = await compileKernels(build);
      // A data segment shows as an exported/imported memory initialiser only through the binary; instead,
      // instantiate on a poisoned memory and check nothing was written.
      const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: build.endsWith('threads') });
      new Uint8Array(memory.buffer).fill(0xab);
      new WebAssembly.Instance(module, { env: { memory } });
      expect(new Uint8Array(memory.buffer).every((byte) => byte === 0xab), build).toBe(true);
    }
  });

  it('reductions give the same bits on 1 and 2 threads (db, dweight, dtable, dk/dv, loss)', async () => {
    const [M, K, N, V, C, T] = [67, 45, 93, 17, 70, 37];
    const inputs = {
      a: [[M, K], random.normals(M * K)],
      b: [[K, N], random.normals(K * N)],
      dout: [[M, N], random.normals(M * N)],
      x: [[M, C], random.normals(M * C)],
      weight: [[C], random.normals(C)],
      dx: [[M, C], random.normals(M * C)],
      ids: [[M], random.ints(M, V)],
      q: [[1, T, 4, 16], random.normals(T * 64)],
      k: [[1, T, 2, 16], random.normals(T * 32)],
      v: [[1, T, 2, 16], random.normals(T * 32)],
      logits: [[M, N], random.normals(M * N, 3)],
      targets: [[M], random.ints(M, N)],
    } as Record<string, [number[], Float32Array | Int32Array]>;
    const outputs = { da: [M, K], db: [K, N], dxOut: [M, C], dweight: [C], dtable: [V, C], dq: [1, T, 4, 16], dk: [1, T, 2, 16], dv: [1, T, 2, 16], attentionOut: [1, T, 4, 16], lse: [1, 4, T], loss: [1], dlogits: [M, N] };
    const run = (backend: TrainingBackend, t: Record<string, Tensor>) => {
      backend.matmulBackward({ da: t.da, db: t.db, dout: t.dout!, a: t.a!, b: t.b!, transposeB: false });
      backend.rmsnormBackward({ dx: t.dxOut!, dweight: t.dweight, dout: t.dx!, x: t.x!, weight: t.weight!, eps: 1e-5 });
      backend.embeddingBackward({ dtable: t.dtable!, dout: t.dx!, ids: t.ids! });
      backend.attentionForTraining({ out: t.attentionOut!, logsumexp: t.lse!, q: t.q!, k: t.k!, v: t.v!, scale: 0.25 });
      backend.attentionBackward({ dq: t.dq!, dk: t.dk!, dv: t.dv!, dout: t.q!, q: t.q!, k: t.k!, v: t.v!, out: t.attentionOut!, logsumexp: t.lse!, scale: 0.25 });
      backend.crossEntropy({ loss: t.loss!, dlogits: t.dlogits, logits: t.logits!, targets: t.targets! });
    };
    const [one, two, oracle] = await Promise.all([gradients(single, run, inputs, outputs), gradients(pooled, run, inputs, outputs), gradients(reference, run, inputs, outputs)]);
    for (const name of Object.keys(outputs)) {
      expect([...two[name]!], name).toEqual([...one[name]!]);
      expect(normalisedError(one[name]!, oracle[name]!), name).toBeLessThan(1e-7);
    }
  });

  it('matmulBackward past every cache block (K > 256, M > 128, N > 1024), transposed and broadcast', async () => {
    const [batch, M, K, N] = [2, 131, 263, 1031];
    for (const transposeB of [false, true]) {
      const inputs = {
        a: [[batch, M, K], random.normals(batch * M * K)],
        b: [transposeB ? [N, K] : [K, N], random.normals(K * N)],
        dout: [[batch, M, N], random.normals(batch * M * N)],
      } as Record<string, [number[], Float32Array]>;
      const outputs = { da: [batch, M, K], db: transposeB ? [N, K] : [K, N] };
      const run = (backend: TrainingBackend, t: Record<string, Tensor>) => backend.matmulBackward({ da: t.da, db: t.db, dout: t.dout!, a: t.a!, b: t.b!, transposeB });
      const [actual, expected] = [await gradients(pooled, run, inputs, outputs), await gradients(reference, run, inputs, outputs)];
      for (const name of Object.keys(outputs)) expect(normalisedError(actual[name]!, expected[name]!), `${name} transposeB=${transposeB}`).toBeLessThan(1e-9);
    }
  });

  it('matmulBackward through a frozen weight past every cache block (K > 256, N > 256, M > 128), bit-identical on 1 and 2 threads', async () => {
    const [batch, M, N, K] = [2, 67, 300, 320];
    const values = random.normals(N * K);
    const weights = { f16: toF16(values), bf16: toBf16(values), q8_0: quantizeQ8_0(values), q4_0: quantizeQ4_0(values) };
    const dout = random.normals(batch * M * N);
    const initial = random.normals(batch * M * K);
    for (const [dtype, data] of Object.entries(weights)) {
      const run = async (backend: TrainingBackend) => {
        const [w, dy, a, da] = [backend.tensor(dtype as DType, [N, K], data), backend.tensor('f32', [batch, M, N], dout), backend.tensor('f32', [batch, M, K]), backend.tensor('f32', [batch, M, K], initial)];
        backend.matmulBackward({ da, dout: dy, a, b: w, transposeB: true });
        const result = (await backend.read(da)) as Float32Array;
        for (const tensor of [w, dy, a, da]) backend.free(tensor);
        return result;
      };
      const [one, two, oracle] = [await run(single), await run(pooled), await run(reference)];
      expect([...two], dtype).toEqual([...one]);
      expect(normalisedError(one, oracle), dtype).toBeLessThan(1e-9);
    }
  });
});

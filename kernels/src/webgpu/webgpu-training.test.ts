import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DType } from '../dtype.js';
import { ResourceLimitError } from '../errors.js';
import { toF16 } from '../numeric/half.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import { createReferenceBackend } from '../reference/reference-backend.js';
import { normalisedError } from '../testing/error-metrics.js';
import { Random } from '../testing/random.js';
import type { Tensor } from '../tensor.js';
import type { TrainingBackend } from '../training-ops.js';
import type { GpuStorage } from './tensor-layout.js';
import { createWebGPUBackend, type WebGPUBackend } from './webgpu-backend.js';

/**
 * WebGPU training ops beyond the harness (backward-ops.test.ts checks every op against the
 * reference): one submit per read for a whole step, bit-identical results run to run, and the
 * documented refusal of split tensors.
 */
const random = new Random(5150);

describe('WebGPU training ops', () => {
  let gpu: WebGPUBackend;

  beforeAll(async () => {
    gpu = await createWebGPUBackend();
  });
  afterAll(() => gpu?.dispose());

  /** A tiny step: x → rmsnorm → matmul → cross-entropy, backward through both, then grad norm and AdamW. */
  function recordStep(tensors: Record<string, Tensor>): void {
    const { x, norm, w, normed, logits, targets, loss, dlogits, dnormed, dx, dnorm, dw, squares, m, v } = tensors;
    for (const gradient of [dlogits!, dnormed!, dx!, dnorm!, dw!]) gpu.fill({ out: gradient, value: 0 });
    gpu.rmsnorm({ out: normed!, x: x!, weight: norm!, eps: 1e-5 });
    gpu.matmul({ out: logits!, a: normed!, b: w!, transposeB: true });
    gpu.crossEntropy({ loss: loss!, dlogits: dlogits!, logits: logits!, targets: targets! });
    gpu.matmulBackward({ da: dnormed!, db: dw!, dout: dlogits!, a: normed!, b: w!, transposeB: true });
    gpu.rmsnormBackward({ dx: dx!, dweight: dnorm!, dout: dnormed!, x: x!, weight: norm!, eps: 1e-5 });
    gpu.sumOfSquares({ out: squares!, tensors: [dw!, dnorm!] });
    gpu.adamw({ params: w!, grads: dw!, m: m!, v: v!, learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 1, clip: { sumOfSquares: squares!, maxNorm: 1 } });
  }

  function stepTensors(): Record<string, Tensor> {
    const [rows, C, V] = [6, 24, 40];
    const f32 = (shape: number[], data?: Float32Array) => gpu.tensor('f32', shape, data);
    return {
      x: f32([rows, C], random.normals(rows * C)),
      norm: f32([C], random.floats(C, 2)),
      w: f32([V, C], random.normals(V * C, 0.2)),
      targets: gpu.tensor('i32', [rows], Int32Array.from([3, -100, 7, 39, 0, 12])),
      normed: f32([rows, C]),
      logits: f32([rows, V]),
      loss: f32([1]),
      dlogits: f32([rows, V]),
      dnormed: f32([rows, C]),
      dx: f32([rows, C]),
      dnorm: f32([C]),
      dw: f32([V, C]),
      squares: f32([1]),
      m: f32([V, C]),
      v: f32([V, C]),
    };
  }

  it('records a forward + backward + AdamW step into one submit per read', async () => {
    const tensors = stepTensors();
    await gpu.sync();
    const before = { ...gpu.stats };
    recordStep(tensors);
    expect(gpu.stats.submits).toBe(before.submits);
    const [loss] = await gpu.read(tensors.loss!);
    expect(gpu.stats.submits - before.submits).toBe(1);
    expect(gpu.stats.dispatches - before.dispatches).toBeGreaterThanOrEqual(14);
    expect(loss).toBeGreaterThan(0);
    expect(Number.isFinite(loss)).toBe(true);
    for (const tensor of Object.values(tensors)) gpu.free(tensor);
  });

  it('gives bit-identical results run to run (no float atomics)', async () => {
    const runs: Float32Array[][] = [];
    const [B, T, nHeads, nKvHeads, D, V, C, N] = [2, 37, 4, 2, 8, 9, 33, 50];
    const inputs = {
      q: random.normals(B * T * nHeads * D),
      k: random.normals(B * T * nKvHeads * D),
      v: random.normals(B * T * nKvHeads * D),
      dout: random.normals(B * T * nHeads * D),
      ids: random.ints(N, V),
      rows: random.normals(N * C),
    };
    for (let run = 0; run < 2; run++) {
      const t = (shape: number[], data?: Float32Array) => gpu.tensor('f32', shape, data);
      const [q, k, v, dout] = [t([B, T, nHeads, D], inputs.q), t([B, T, nKvHeads, D], inputs.k), t([B, T, nKvHeads, D], inputs.v), t([B, T, nHeads, D], inputs.dout)];
      const [out, logsumexp, dq, dk, dv] = [t([B, T, nHeads, D]), t([B, nHeads, T]), t([B, T, nHeads, D]), t([B, T, nKvHeads, D]), t([B, T, nKvHeads, D])];
      const [ids, rows, dtable, squares] = [gpu.tensor('i32', [N], inputs.ids), t([N, C], inputs.rows), t([V, C]), t([1])];
      gpu.attentionForTraining({ out, logsumexp, q, k, v, scale: 0.35 });
      gpu.attentionBackward({ dq, dk, dv, dout, q, k, v, out, logsumexp, scale: 0.35 });
      gpu.embeddingBackward({ dtable, dout: rows, ids });
      gpu.sumOfSquares({ out: squares, tensors: [dq, dk, dv, dtable] });
      runs.push((await Promise.all([dq, dk, dv, dtable, squares].map((tensor) => gpu.read(tensor)))) as Float32Array[]);
      for (const tensor of [q, k, v, dout, out, logsumexp, dq, dk, dv, ids, rows, dtable, squares]) gpu.free(tensor);
    }
    runs[1]!.forEach((values, i) => expect(Array.from(values), `output ${i}`).toEqual(Array.from(runs[0]![i]!)));
  });
});

describe('WebGPU training ops on tensors split over bindings', () => {
  it('matmulBackward adds da through a split weight of any dtype, one dispatch per part', async () => {
    const gpu = await createWebGPUBackend({ maxBindingBytes: 4096 });
    const reference = createReferenceBackend();
    try {
      const [M, N, K] = [6, 150, 64];
      const values = random.normals(N * K);
      const weights = { f32: values, f16: toF16(values), q8_0: quantizeQ8_0(values), q4_0: quantizeQ4_0(values) };
      const [dout, initial] = [random.normals(M * N), random.normals(M * K)];
      for (const [dtype, data] of Object.entries(weights)) {
        const run = async (backend: TrainingBackend) => {
          const w = backend.tensor(dtype as DType, [N, K], data);
          const [dy, a, da] = [backend.tensor('f32', [M, N], dout), backend.tensor('f32', [M, K]), backend.tensor('f32', [M, K], initial)];
          backend.matmulBackward({ da, dout: dy, a, b: w, transposeB: true });
          return (await backend.read(da)) as Float32Array;
        };
        const split = gpu.tensor(dtype as DType, [N, K], data);
        expect((split.handle as GpuStorage).parts.length, dtype).toBeGreaterThan(1);
        gpu.free(split);
        expect(normalisedError(await run(gpu), await run(reference)), dtype).toBeLessThan(1e-9);
      }
    } finally {
      gpu.dispose();
    }
  });

  it('refuse them with ResourceLimitError, except fill', async () => {
    const gpu = await createWebGPUBackend({ maxBindingBytes: 4096 });
    try {
      const a = gpu.tensor('f32', [4, 64], random.normals(256));
      const b = gpu.tensor('f32', [64, 64], random.normals(4096)); // 16 KiB: four parts
      const [dout, db] = [gpu.tensor('f32', [4, 64], random.normals(256)), gpu.tensor('f32', [64, 64])];
      expect(() => gpu.matmulBackward({ db, dout, a, b, transposeB: true })).toThrow(ResourceLimitError);
      gpu.fill({ out: db, value: 1.5 });
      expect((await gpu.read(db)).every((value) => value === 1.5)).toBe(true);
    } finally {
      gpu.dispose();
    }
  });
});

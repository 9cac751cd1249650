import { describe, expect, it } from 'vitest';
import { DTypeNotSupportedError, ShapeMismatchError } from '../errors.js';
import { dequantizeQ4_0, quantizeQ4_0 } from '../numeric/quantize.js';
import { supportsTraining } from '../training-ops.js';
import { createReferenceBackend } from './reference-backend.js';

// Values computed by hand: the finite-difference harness checks gradients, these check the values.
describe('reference training ops', () => {
  const backend = createReferenceBackend();
  const f32 = (shape: number[], values: number[]) => backend.tensor('f32', shape, new Float32Array(values));
  const read = async (t: Parameters<typeof backend.read>[0]) => [...((await backend.read(t)) as Float32Array)];

  it('declares training support', () => expect(supportsTraining(backend)).toBe(true));

  it('cross-entropy: mean over counted rows, ignore index, gradient softmax − onehot', async () => {
    const logits = f32([3, 2], [0, 0, 1, 1, 5, -5]);
    const targets = backend.tensor('i32', [3], new Int32Array([1, 0, -100]));
    const loss = backend.tensor('f32', [1]);
    const dlogits = f32([3, 2], [1, 1, 1, 1, 1, 1]); // accumulates onto these
    backend.crossEntropy({ loss, dlogits, logits, targets });
    expect((await read(loss))[0]).toBeCloseTo(Math.log(2), 6);
    expect(await read(dlogits)).toEqual([1.25, 0.75, 0.75, 1.25, 1, 1]);
  });

  it('distillation: forward and reverse KL of two-token distributions, τ² scaling, top-k = V equals full', async () => {
    const [p, q] = [[0.25, 0.75], [0.5, 0.5]]; // student p, teacher q
    const logits = f32([1, 2], p.map(Math.log));
    const teacherLogits = f32([1, 2], q.map(Math.log));
    const loss = backend.tensor('f32', [1]);
    const kl = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * Math.log(value / b[i]!), 0);
    backend.distillationLoss({ loss, logits, teacherLogits, divergence: 'forward-kl' });
    expect((await read(loss))[0]).toBeCloseTo(kl(q, p), 6);
    backend.distillationLoss({ loss, logits, teacherLogits, divergence: 'reverse-kl' });
    expect((await read(loss))[0]).toBeCloseTo(kl(p, q), 6);
    const teacherIndices = backend.tensor('i32', [1, 2], new Int32Array([1, 0]));
    const teacherLogprobs = f32([1, 2], [Math.log(q[1]!), Math.log(q[0]!)]);
    backend.distillationLoss({ loss, logits, teacherIndices, teacherLogprobs, divergence: 'forward-kl' });
    expect((await read(loss))[0]).toBeCloseTo(kl(q, p), 6);
    // At τ = 2 both sides are softened (logits / 2) and the loss is multiplied by τ² = 4.
    const soften = (values: number[]) => {
      const e = values.map((value) => Math.sqrt(value));
      return e.map((value) => value / (e[0]! + e[1]!));
    };
    backend.distillationLoss({ loss, logits, teacherLogits, divergence: 'forward-kl', temperature: 2 });
    expect((await read(loss))[0]).toBeCloseTo(4 * kl(soften(q), soften(p)), 5);
  });

  it('adamw matches a hand-computed PyTorch step, with clipping by the global norm', async () => {
    const params = f32([2], [1, -2]);
    const grads = f32([2], [3, 4]); // ‖g‖ = 5
    const [m, v] = [f32([2], [0, 0]), f32([2], [0, 0])];
    const sumOfSquares = backend.tensor('f32', [1]);
    backend.sumOfSquares({ out: sumOfSquares, tensors: [grads] });
    expect(await read(sumOfSquares)).toEqual([25]);
    const settings = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };
    backend.adamw({ params, grads, m, v, ...settings, clip: { sumOfSquares, maxNorm: 1 } });
    // Step 1: m̂ = g', v̂ = g'² so the update is lr·sign(g'); the decay multiplies by 1 − lr·wd first.
    const expected = [1 * (1 - 0.001) - 0.1, -2 * (1 - 0.001) - 0.1];
    const actual = await read(params);
    actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
    const clipped = [3 / (5 + 1e-6), 4 / (5 + 1e-6)];
    (await read(m)).forEach((value, i) => expect(value).toBeCloseTo(0.1 * clipped[i]!, 6));
  });

  it('embeddingBackward scatter-adds repeated ids and skips out-of-range ones', async () => {
    const dtable = f32([2, 2], [0, 0, 0, 0]);
    const ids = backend.tensor('i32', [4], new Int32Array([1, 1, 5, 0]));
    backend.embeddingBackward({ dtable, dout: f32([4, 2], [1, 2, 3, 4, 100, 100, 5, 6]), ids });
    expect(await read(dtable)).toEqual([5, 6, 4, 6]);
  });

  it('rejects bad training calls with typed errors', () => {
    const logits = f32([2, 3], [0, 0, 0, 0, 0, 0]);
    const loss = backend.tensor('f32', [1]);
    const targets = backend.tensor('i32', [3], new Int32Array(3));
    expect(() => backend.crossEntropy({ loss, logits, targets })).toThrow(ShapeMismatchError);
    expect(() => backend.distillationLoss({ loss, logits, divergence: 'forward-kl' })).toThrow(ShapeMismatchError);
    expect(() => backend.distillationLoss({ loss, logits, teacherLogits: logits, divergence: 'jsd', beta: 1 })).toThrow(ShapeMismatchError);
  });

  it('matmulBackward through a frozen Q4_0 weight: da from the decoded blocks; db refused with the reason', async () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => (i % 7) - 3); // [2, 32]: small integers, exact in Q4_0
    const weight = backend.tensor('q4_0', [2, 32], quantizeQ4_0(values));
    const [a, dout] = [f32([1, 32], new Array(32).fill(0)), f32([1, 2], [1, -2])];
    const da = f32([1, 32], new Array(32).fill(0.5));
    backend.matmulBackward({ da, dout, a, b: weight, transposeB: true });
    const decoded = dequantizeQ4_0(quantizeQ4_0(values), 64);
    expect(await read(da)).toEqual(Array.from({ length: 32 }, (_, k) => 0.5 + decoded[k]! - 2 * decoded[32 + k]!));
    const db = backend.tensor('f32', [2, 32]);
    expect(() => backend.matmulBackward({ da, db, dout, a, b: weight, transposeB: true })).toThrow(DTypeNotSupportedError);
    expect(() => backend.matmulBackward({ db, dout, a, b: weight, transposeB: true })).toThrow(/only an f32 weight has a gradient/);
  });
});

import { createReferenceBackend, createWasmBackend, createWebGPUBackend, type Backend } from '@cria/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchRow, loadGoldenRun, maxAbsoluteError, relativeError, type GoldenRun, type GoldenVariant } from '../testing/golden-fixture.js';
import { Trainer } from '../trainer.js';
import { LlamaTrainingModel } from './llama-training-model.js';

/**
 * Cria against PyTorch (float64) on the committed golden runs: a 2-layer GQA Llama (untied head) and
 * a Qwen2 (q/k/v biases, tied head), each with one packed row and ignored targets. Tolerances are
 * relative to each tensor's largest magnitude (Cria's f32 against the f64 truth; measured errors in
 * brackets).
 *
 * reference and wasm: logits, loss and every gradient 1e-5 [≤ 1e-6]; over 10 AdamW steps (warmup +
 * cosine, weight decay, clipping, 2 micro-batches) each step's loss and grad norm 3e-5 [≤ 5.4e-6].
 * The final weights are compared in the unit an Adam step moves them, the learning rate:
 * |Δ| ≤ 0.05 · lr [≤ 0.02 · lr]. Adam divides by √v, so an element whose gradient is tiny relative
 * to its tensor's (Qwen2's rotated k bias has some at 1e-5 of the max) moves by ~lr whatever its
 * value, and f32 rounding shifts it by a fraction of lr.
 *
 * webgpu (the Llama run only: SwiftShader here is slow): GPU exp/log are specified only to a few ULP
 * and reductions run in a different order, so looser bounds: logits 2e-4 [5.1e-5], loss 2e-5
 * [2.6e-6], gradients 1e-3 [2.1e-4, the q/k projections of layer 0], step losses 1e-4 [8.3e-6],
 * grad norms 2e-4 [3.0e-5], final weights 0.05 · lr [0.014 · lr].
 */
interface Tolerances {
  logits: number;
  loss: number;
  gradients: number;
  stepLoss: number;
  gradNorm: number;
}
const CPU: Tolerances = { logits: 1e-5, loss: 1e-5, gradients: 1e-5, stepLoss: 3e-5, gradNorm: 3e-5 };
const GPU: Tolerances = { logits: 2e-4, loss: 2e-5, gradients: 1e-3, stepLoss: 1e-4, gradNorm: 2e-4 };
const CASES: Array<[GoldenVariant, string, () => Promise<Backend>, Tolerances]> = [
  ['llama', 'reference', async () => createReferenceBackend(), CPU],
  ['llama', 'wasm', () => createWasmBackend({ threads: 2 }), CPU],
  ['llama', 'webgpu', () => createWebGPUBackend(), GPU],
  ['qwen2-tied', 'reference', async () => createReferenceBackend(), CPU],
  ['qwen2-tied', 'wasm', () => createWasmBackend({ threads: 2 }), CPU],
];

describe.each(CASES)('golden %s run against PyTorch on %s', (variant, _name, create, tolerance) => {
  let golden: GoldenRun;
  let backend: Backend;
  beforeAll(async () => {
    golden = await loadGoldenRun(variant);
    backend = await create();
  });
  afterAll(() => backend?.dispose());

  it('matches the logits, the loss and every parameter gradient', async () => {
    const model = LlamaTrainingModel.fromWeights(backend, golden.config, golden.weights);
    model.forward(golden.batch, { gradientScale: 1 });
    model.backward();
    expect(relativeError(await model.readLogits(), golden.logits)).toBeLessThan(tolerance.logits);
    expect(Math.abs((await model.readLoss()) - golden.loss) / golden.loss).toBeLessThan(tolerance.loss);
    expect(model.parameters.trainable.map((p) => p.name).sort()).toEqual([...golden.grads.keys()].sort());
    for (const parameter of model.parameters.trainable) {
      const actual = (await backend.read(parameter.grad!)) as Float32Array;
      const error = relativeError(actual, golden.grads.get(parameter.name)!);
      expect(error, parameter.name).toBeLessThan(tolerance.gradients);
    }
    model.dispose();
  });

  it('matches 10 AdamW steps: losses, grad norms, learning rates and the final weights', async () => {
    const { training: t } = golden;
    const model = LlamaTrainingModel.fromWeights(backend, golden.config, golden.weights);
    const trainer = new Trainer(model, {
      beta1: t.betas[0],
      beta2: t.betas[1],
      eps: t.eps,
      weightDecay: t.weight_decay,
      maxGradNorm: t.max_grad_norm,
      schedule: { learningRate: t.learning_rate, warmupSteps: t.warmup_steps, totalSteps: t.total_steps, decay: t.schedule },
    });
    const microBatches = Array.from({ length: t.micro_batches }, (_, row) => batchRow(golden.batch, row));
    for (let step = 0; step < t.total_steps; step++) {
      const report = await trainer.trainStep(microBatches);
      expect(Math.abs(report.loss - golden.losses[step]!) / golden.losses[step]!, `loss of step ${step + 1}`).toBeLessThan(tolerance.stepLoss);
      expect(Math.abs(report.gradNorm - golden.gradNorms[step]!) / golden.gradNorms[step]!, `grad norm of step ${step + 1}`).toBeLessThan(tolerance.gradNorm);
      expect(report.learningRate).toBeCloseTo(golden.learningRates[step]!, 12);
    }
    const final = await model.parameters.readAll();
    for (const [name, expected] of golden.final) expect(maxAbsoluteError(final.get(name)!, expected), name).toBeLessThan(0.05 * t.learning_rate);
    trainer.dispose();
    model.dispose();
  });
});

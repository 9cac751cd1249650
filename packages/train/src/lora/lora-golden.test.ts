import { createReferenceBackend, createWasmBackend, type Backend } from '@cria/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { loadGoldenLoraStep, maxAbsoluteError, relativeError, type GoldenLoraStep } from '../testing/golden-fixture.js';
import { Trainer } from '../trainer.js';
import { parseLoraTargets } from './lora-options.js';

/**
 * One LoRA step against PyTorch (float64, fixtures/golden-lora.safetensors): adapters rank 4,
 * alpha 8 on all seven linear layers of the golden Llama, frozen base. Tolerances relative to each
 * tensor's largest magnitude: logits, loss and every A/B gradient 1e-5, the grad norm 1e-5; after one
 * AdamW step (clipped) A and B within 0.02 · lr of PyTorch's (Adam moves every element by ≈ lr on
 * step 1, so this is the unit that matters).
 */
const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['reference', async () => createReferenceBackend()],
  ['wasm', () => createWasmBackend({ threads: 2 })],
];

describe.each(BACKENDS)('golden LoRA step against PyTorch on %s', (_name, create) => {
  let golden: GoldenLoraStep;
  let backend: Backend;
  beforeAll(async () => {
    golden = await loadGoldenLoraStep();
    backend = await create();
  });
  afterAll(() => backend?.dispose());

  const build = () =>
    LlamaTrainingModel.fromWeights(backend, golden.config, golden.weights, {
      lora: { rank: golden.lora.rank, alpha: golden.lora.alpha, targets: parseLoraTargets(golden.lora.targets.join(',')) },
      adapter: golden.adapters,
    });

  it('matches the logits, the loss and every adapter gradient; only the adapters train', async () => {
    const model = build();
    expect(model.parameters.trainable.map((p) => p.name).sort()).toEqual([...golden.grads.keys()].sort());
    model.forward(golden.batch, { gradientScale: 1 });
    model.backward();
    expect(relativeError(await model.readLogits(), golden.logits)).toBeLessThan(1e-5);
    expect(Math.abs((await model.readLoss()) - golden.loss) / golden.loss).toBeLessThan(1e-5);
    let worst = 0;
    for (const parameter of model.parameters.trainable) {
      const error = relativeError((await backend.read(parameter.grad!)) as Float32Array, golden.grads.get(parameter.name)!);
      worst = Math.max(worst, error);
      expect(error, parameter.name).toBeLessThan(1e-5);
    }
    console.log(`LoRA golden on ${_name}: worst adapter-gradient error ${worst.toExponential(2)}`);
    model.dispose();
  });

  it('matches A and B after one clipped AdamW step', async () => {
    const model = build();
    const t = golden.training;
    const trainer = new Trainer(model, {
      beta1: t.betas[0],
      beta2: t.betas[1],
      eps: t.eps,
      weightDecay: t.weight_decay,
      maxGradNorm: t.max_grad_norm,
      schedule: { learningRate: t.learning_rate, totalSteps: 1, decay: 'constant' },
    });
    const report = await trainer.trainStep([golden.batch]);
    expect(Math.abs(report.gradNorm - golden.gradNorm) / golden.gradNorm).toBeLessThan(1e-5);
    let worst = 0;
    for (const [name, expected] of golden.updated) {
      const error = maxAbsoluteError(await model.parameters.readFloat32(name), expected);
      worst = Math.max(worst, error);
      expect(error, name).toBeLessThan(0.02 * t.learning_rate);
    }
    console.log(`LoRA golden on ${_name}: worst |Δ| of the updated A/B ${(worst / t.learning_rate).toExponential(2)} · lr`);
    trainer.dispose();
    model.dispose();
  });
});

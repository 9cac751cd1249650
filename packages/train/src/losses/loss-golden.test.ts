import { createReferenceBackend, createWasmBackend, createWebGPUBackend, type Backend, type Tensor, type TrainingBackend } from '@cria/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../testing/golden-fixture.js';
import { loadGoldenLosses, type GoldenLossCase, type GoldenLosses } from '../testing/golden-losses.js';

/**
 * The fused losses against float64 PyTorch (fixtures/golden-distillation.safetensors): cross-entropy
 * with ignored targets, and `distillationLoss` — forward KL, reverse KL and TRL's generalised JSD
 * with β, temperature τ with the τ² scaling, a row mask, on full teacher logits and on top-k teacher
 * log-probabilities with the tail bucket (k = 8 of V = 40, and k = V: no tail). 12 rows.
 * Tolerances (measured in brackets): loss relative error and dstudent error relative to its largest
 * magnitude: reference and wasm 1e-6 [loss ≤ 5.0e-8, dstudent ≤ 6.7e-8]; webgpu 1e-5 (GPU exp/log
 * are a few ULP, reductions in another order) [loss ≤ 2.4e-7, dstudent ≤ 5.4e-7].
 */
const CASES: Array<[string, () => Promise<Backend>, number]> = [
  ['reference', async () => createReferenceBackend(), 1e-6],
  ['wasm', () => createWasmBackend({ threads: 2 }), 1e-6],
  ['webgpu', () => createWebGPUBackend(), 1e-5],
];

describe.each(CASES)('fused losses against PyTorch on %s', (_name, create, tolerance) => {
  let golden: GoldenLosses;
  let backend: TrainingBackend;
  beforeAll(async () => {
    golden = await loadGoldenLosses();
    backend = (await create()) as TrainingBackend;
  });
  afterAll(() => backend?.dispose());

  /** Runs one case; returns the loss and d(loss)/d(student logits) (dloss 1, from a zeroed dlogits). */
  async function run(golden: GoldenLosses, entry: GoldenLossCase): Promise<{ loss: number; dstudent: Float32Array }> {
    const { rows, vocabulary: V } = golden;
    const owned: Tensor[] = [];
    const tensor = (dtype: 'f32' | 'i32', shape: number[], data?: Float32Array | Int32Array) => {
      const created = backend.tensor(dtype, shape, data);
      owned.push(created);
      return created;
    };
    const loss = tensor('f32', [1]);
    const dlogits = tensor('f32', [rows, V], new Float32Array(rows * V));
    const logits = tensor('f32', [rows, V], golden.studentLogits);
    try {
      if (!entry.divergence) {
        backend.crossEntropy({ loss, dlogits, logits, targets: tensor('i32', [rows], golden.targets) });
      } else {
        const { divergence, beta, temperature } = entry;
        const mask = tensor('i32', [rows], golden.mask);
        if (entry.teacher === 'full') {
          backend.distillationLoss({ loss, dlogits, logits, teacherLogits: tensor('f32', [rows, V], golden.teacherLogits), divergence, beta, temperature, mask });
        } else {
          const k = entry.indices![0]!.length;
          const teacherIndices = tensor('i32', [rows, k], Int32Array.from(entry.indices!.flat()));
          const teacherLogprobs = tensor('f32', [rows, k], entry.teacherLogprobs);
          backend.distillationLoss({ loss, dlogits, logits, teacherIndices, teacherLogprobs, divergence, beta, temperature, mask });
        }
      }
      return { loss: ((await backend.read(loss)) as Float32Array)[0]!, dstudent: (await backend.read(dlogits)) as Float32Array };
    } finally {
      for (const created of owned) backend.free(created);
    }
  }

  it('has every divergence, both teacher forms and cross-entropy in the fixture', () => {
    const names = golden.cases.map((entry) => entry.name);
    expect(names).toContain('cross-entropy');
    for (const divergence of ['forward-kl', 'reverse-kl', 'jsd']) {
      expect(golden.cases.some((entry) => entry.divergence === divergence && entry.teacher === 'full'), divergence).toBe(true);
      expect(golden.cases.some((entry) => entry.divergence === divergence && entry.teacher === 'top-8'), divergence).toBe(true);
    }
  });

  it('matches the loss and dstudent of every case', async () => {
    for (const entry of golden.cases) {
      const { loss, dstudent } = await run(golden, entry);
      expect(Math.abs(loss - entry.loss) / Math.abs(entry.loss), `${entry.name} loss`).toBeLessThan(tolerance);
      expect(relativeError(dstudent, entry.dstudent), `${entry.name} dstudent`).toBeLessThan(tolerance);
    }
  });
});

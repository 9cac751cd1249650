import { describe, expect, it } from 'vitest';
import { criaReferenceFactory } from './cria-trainer.js';
import { summariseSteps } from './step-timing.js';
import { openblasVerdict, torchFactory, torchMissing } from './torch-child.js';
import { tfjsFactory } from './tfjs-trainer.js';
import { computeTrainBars } from './train-bars.js';
import { renderTrainMarkdown } from './train-markdown.js';
import { checkLosses, QUICK_SETTINGS, runTrainSuite, type TrainRow } from './train-suite.js';
import { attentionFlops, NANOGPT, parameterCounts, SMOLLM2_LORA, stepFlops } from './train-shapes.js';

/**
 * Smoke test: the train suite on --quick shapes through Cria's reference backend, tfjs-wasm and
 * (when python3-torch is installed) the PyTorch child; every stage to markdown. No timing asserted.
 */
describe('train suite (quick)', () => {
  it('trains each impl on the tiny shapes and renders the report', async () => {
    const torchAbsent = torchMissing();
    const result = await runTrainSuite({
      quick: true,
      only: null,
      factories: [criaReferenceFactory(), torchFactory(QUICK_SETTINGS.torch), tfjsFactory()],
    });
    const rows = result.rows as TrainRow[];
    expect(rows.map((row) => `${row.benchmark}: ${row.impl}`)).toEqual([
      'full training: cria-reference',
      'full training: pytorch-cpu',
      'full training: tfjs-wasm',
      'LoRA fine-tuning: cria-reference',
      'LoRA fine-tuning: pytorch-cpu',
      'QLoRA fine-tuning: cria-reference',
    ]);
    for (const row of rows) {
      if (row.impl === 'pytorch-cpu' && torchAbsent) {
        expect(row.skipped).toMatch(/python3-torch not installed/);
        continue;
      }
      expect(row.skipped, `${row.benchmark} ${row.impl}`).toBeUndefined();
      expect(row.check, `${row.benchmark} ${row.impl}`).toBe('ok');
      expect(row.tokens_per_s).toBeGreaterThan(0);
      expect(row.gflops).toBeGreaterThan(0);
      // the same batch every step: training must lower its loss
      expect(row.loss!.last).toBeLessThan(row.loss!.first);
    }
    // The reference backend stands in for wasm here, so the bars have a Cria row to use.
    const bars = computeTrainBars(rows.map((row) => (row.impl === 'cria-reference' ? { ...row, impl: 'cria-wasm' } : row)));
    expect(bars[0]!.ratio).toBeGreaterThan(0);
    expect(bars[0]!.status).toMatch(/PASS|MISS|INCONCLUSIVE/);
    const markdown = renderTrainMarkdown(result);
    for (const heading of ['**Quick run**', '## Bars', '## Full training', '## LoRA fine-tuning', '## QLoRA fine-tuning', 'What limits Cria']) expect(markdown).toContain(heading);
  }, 120_000);
});

describe('train suite arithmetic', () => {
  it('counts the parameters of nanoGPT-as-Llama and SmolLM2-135M', () => {
    // PyTorch's torch_train.py reports 10,671,744 for the same nanoGPT model
    expect(parameterCounts(NANOGPT).total).toBe(10_671_744);
    // SmolLM2-135M: 134,515,008 parameters (tied embeddings)
    expect(parameterCounts(SMOLLM2_LORA).total).toBe(134_515_008);
    // rank 8 on q, k, v, o of 30 layers: 8·(576+576 + 2·(576+192) + 576+576) per layer
    expect(parameterCounts(SMOLLM2_LORA).lora).toBe(30 * 8 * (1152 + 2 * 768 + 1152));
  });

  it('counts step flops as 6·P·tokens plus causal attention', () => {
    const tiny = { ...NANOGPT, layers: 1, heads: 1, hidden: 4, sequence: 3, batch: 1 };
    // 12·D·T(T+1)/2·H·L·B = 12·4·6
    expect(attentionFlops(tiny)).toBe(12 * 4 * 6);
    const { linear } = parameterCounts(NANOGPT);
    expect(stepFlops(NANOGPT)).toBe(6 * linear * 16 * 256 + attentionFlops(NANOGPT));
  });

  it('checks that losses start near ln(vocab) and stay finite', () => {
    expect(checkLosses([4.2, 4.1], 65)).toBe('ok');
    expect(checkLosses([4.2, Number.NaN], 65)).toMatch(/non-finite/);
    expect(checkLosses([9], 65)).toMatch(/not near ln\(65\)/);
  });

  it('leaves loaded steps out of the median when enough clean ones exist', () => {
    const summary = summariseSteps({ times: [10, 50, 12, 11], loads: [0, 1.5, 0.1, 0] }, { minSteps: 3, loadedCores: 0.5 });
    expect(summary).toMatchObject({ medianMs: 11, runs: 3, discarded: 1 });
    const all = summariseSteps({ times: [10, 50], loads: [0, 1.5] }, { minSteps: 3, loadedCores: 0.5 });
    expect(all.runs).toBe(2);
  });

  it('judges a bar only when the machine was quiet enough', () => {
    const row = (impl: string, tokens: number, load: number) =>
      ({ benchmark: 'full training', impl, threads: 2, tokens_per_s: tokens, gflops: 1, check: 'ok', other_cores: load }) as unknown as TrainRow;
    const quiet = computeTrainBars([row('cria-wasm', 100, 0.1), row('pytorch-cpu', 200, 0.2), row('tfjs-wasm', 10, 0)]);
    expect(quiet.map((bar) => bar.status)).toEqual(['PASS', 'PASS', 'NOT MEASURED']);
    expect(quiet[1]!.ratio).toBe(0.5);
    const loaded = computeTrainBars([row('cria-wasm', 100, 1), row('pytorch-cpu', 400, 0.2)]);
    expect(loaded[1]).toMatchObject({ status: 'INCONCLUSIVE', ratio: 0.25 });
    expect(loaded[1]!.detail).toMatch(/would be MISS/);
  });

  it('reads which core OpenBLAS chose', () => {
    expect(openblasVerdict('Core not found: Cooperlake\nCore: Cooperlake\n')).toMatch(/core Cooperlake \(OPENBLAS_CORETYPE=Cooperlake not recognised/);
    expect(openblasVerdict('Core: SkylakeX\n')).toBe('OpenBLAS core SkylakeX');
    expect(openblasVerdict('')).toMatch(/no core/);
  });
});

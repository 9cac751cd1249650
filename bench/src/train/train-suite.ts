import { collectMachineInfo, currentLoad } from '../machine.js';
import { waitForQuiet } from '../measure/machine-load.js';
import { roundSignificant } from '../measure/statistics.js';
import { UNMEASURED, type ImplInfo, type ResultFile, type ResultRow } from '../results/result-types.js';
import { criaWasmFactory, criaWebGPUFactory } from './cria-trainer.js';
import { summariseSteps, timeSteps, type StepPolicy } from './step-timing.js';
import { tfjsFactory } from './tfjs-trainer.js';
import { torchFactory, type TorchSettings } from './torch-child.js';
import { errorLine, Unavailable, type TrainContender, type TrainContenderFactory } from './train-contender.js';
import { FLOP_FORMULA, NANOGPT, parameterCounts, QUICK_SHAPES, SMOLLM2_LORA, SMOLLM2_QLORA, stepFlops, tokensPerStep, type TrainShape } from './train-shapes.js';

/**
 * The train suite: tokens/s of a full training step (forward + backward + AdamW) on nanoGPT's
 * shakespeare-char sizes for Cria wasm, Cria WebGPU, PyTorch CPU and tfjs-wasm, and of a LoRA
 * step on SmolLM2-135M's shapes for Cria wasm and PyTorch, and of the same step over a Q4_0 base
 * (QLoRA, Cria only) with the backend memory it holds. Impls run one after another (a step
 * takes seconds), each after waiting briefly for a quiet machine, with other processes' load
 * recorded per step.
 */
export const SUITE = 'train';
export const PEER_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'] as const;
export const BENCHMARKS = { full: 'full training', lora: 'LoRA fine-tuning', qlora: 'QLoRA fine-tuning' } as const;

const benchmarkOf = (shape: TrainShape) => (shape.baseDtype ? BENCHMARKS.qlora : BENCHMARKS[shape.mode]);

export interface TrainRow extends ResultRow {
  /** Sequences × tokens per step. */
  tokens_per_step: number;
  tokens_per_s: number | null;
  /** Flops of one step by the suite's formula (FLOP_FORMULA), in GFLOP. */
  step_gflop: number;
  /** Trainable parameters / all parameters. */
  params: { total: number; trainable: number };
  /** Losses of the warm-up and timed steps, first and last (same batch every step: it should fall). */
  loss: { first: number; last: number } | null;
  /**
   * MiB the impl held on its backend (wasm: the allocator's bytes in use) after setup (weights,
   * adapters, optimizer state) and after the timed steps (plus activations and kernel scratch);
   * null where the backend cannot say.
   */
  backend_mib?: { setup: number; after_steps: number } | null;
}

export interface TrainSettings {
  shapes: TrainShape[];
  policy: StepPolicy;
  torch: TorchSettings;
  quietWaitMs: number;
  quietCores: number;
  /** Cria WebGPU rows are skipped when a step is predicted to take longer than this. */
  webgpuMaxStepMs: number;
}

export const FULL_SETTINGS: TrainSettings = {
  shapes: [NANOGPT, SMOLLM2_LORA, SMOLLM2_QLORA],
  policy: { warmupSteps: 1, minSteps: 3, maxSteps: 5, targetMs: 60_000, loadedCores: 0.5 },
  torch: { threads: 2, warmupSteps: 2, steps: 9, minSteps: 5, capMs: 60_000, openblasCoreType: 'Cooperlake', loadedCores: 0.5 },
  quietWaitMs: 30_000,
  quietCores: 0.3,
  webgpuMaxStepMs: 60_000,
};

export const QUICK_SETTINGS: TrainSettings = {
  shapes: QUICK_SHAPES,
  policy: { warmupSteps: 1, minSteps: 2, maxSteps: 2, targetMs: 1_000, loadedCores: Infinity },
  torch: { threads: 2, warmupSteps: 1, steps: 2, minSteps: 2, capMs: 1_000, openblasCoreType: 'Cooperlake', loadedCores: Infinity },
  quietWaitMs: 0,
  quietCores: 0.3,
  webgpuMaxStepMs: 5_000,
};

export interface TrainSuiteOptions {
  quick: boolean;
  only: string[] | null;
  /** Replaces the default impls (the smoke test uses the reference backend, tfjs and PyTorch). */
  factories?: TrainContenderFactory[];
  log?: (line: string) => void;
}

export function defaultFactories(settings: TrainSettings): TrainContenderFactory[] {
  return [criaWasmFactory(2), { ...criaWebGPUFactory(settings.webgpuMaxStepMs), covers: (shape) => shape.mode === 'full' }, torchFactory(settings.torch), tfjsFactory()];
}

export async function runTrainSuite(options: TrainSuiteOptions): Promise<ResultFile> {
  const started = performance.now();
  const loadAtStart = currentLoad();
  const settings = options.quick ? QUICK_SETTINGS : FULL_SETTINGS;
  const log = options.log ?? (() => {});
  const keep = (name: string) => !options.only || options.only.some((part) => name.includes(part));
  const factories = (options.factories ?? defaultFactories(settings)).filter((factory) => keep(factory.impl));
  const rows: TrainRow[] = [];
  const impls = new Map<string, ImplInfo>();
  let webgpu = 'not started';

  for (const shape of settings.shapes) {
    const counts = parameterCounts(shape);
    const base: Omit<TrainRow, 'impl' | 'threads'> = {
      suite: SUITE,
      benchmark: benchmarkOf(shape),
      shape: describeShape(shape),
      dtype: shape.baseDtype ?? 'f32',
      ...UNMEASURED,
      tokens_per_step: tokensPerStep(shape),
      tokens_per_s: null,
      step_gflop: roundSignificant(stepFlops(shape) / 1e9),
      params: { total: counts.total, trainable: shape.mode === 'lora' ? counts.lora : counts.total },
      loss: null,
    };
    for (const factory of factories.filter((candidate) => candidate.covers(shape))) {
      if (!options.quick) await waitForQuiet(settings.quietCores, settings.quietWaitMs);
      log(`${shape.name}: ${factory.impl} starting`);
      let contender: TrainContender | undefined;
      try {
        contender = await factory.start(shape, { quick: options.quick, log });
      } catch (error) {
        const threads = error instanceof Unavailable ? error.threads : null;
        const reason = error instanceof Unavailable ? error.message : `could not start: ${errorLine(error)}`;
        log(`${shape.name}: ${factory.impl} skipped: ${reason}`);
        rows.push({ ...base, impl: factory.impl, threads, skipped: reason });
        if (factory.impl === 'cria-webgpu') webgpu = error instanceof Unavailable && error.adapter ? error.adapter : reason;
        continue;
      }
      impls.set(contender.impl, { impl: contender.impl, threads: contender.threads, description: contender.note });
      if (contender.impl === 'cria-webgpu') webgpu = contender.note;
      try {
        rows.push(await measure(contender, shape, base, settings, options.quick, factory.policy, log));
      } catch (error) {
        rows.push({ ...base, impl: contender.impl, threads: contender.threads, skipped: `failed while stepping: ${errorLine(error)}` });
      } finally {
        contender.dispose();
      }
    }
  }

  return {
    suite: SUITE,
    quick: options.quick,
    machine: collectMachineInfo(webgpu, PEER_PACKAGES, loadAtStart),
    impls: [...impls.values()],
    method: {
      step: 'one optimizer step on one batch: forward, backward, the optimizer update, until the loss is on the host (Cria: Trainer.trainStep; PyTorch: zero_grad, loss.backward(), AdamW.step(), loss.item(); tfjs: tf.variableGrads, Adam + decoupled decay, loss.data())',
      architecture:
        'Llama-style, f32: RMSNorm (eps 1e-5), q/k/v/o without bias, RoPE half split (rotate_half, theta 10000), causal softmax attention, SwiGLU MLP, untied lm_head (tied for SmolLM2), mean cross-entropy; AdamW lr 1e-3, weight decay 0.1 on matrices (none on norms); Cria also clips the global grad norm at 1',
      shapes: settings.shapes,
      timing: settings.policy,
      pytorch: { ...settings.torch, script: 'bench/src/train/torch_train.py, timed by the child itself (time.perf_counter around each step)' },
      tokens_per_s: 'batch × sequence / median step seconds',
      gflops: `step flops / median step time; step flops = ${FLOP_FORMULA}`,
      check: 'the first loss is finite and within 0.5 of ln(vocab) (a fresh model), and every loss is finite',
      quiet_wait: `before each impl, up to ${settings.quietWaitMs / 1000} s of waiting for other processes to use < ${settings.quietCores} cores; other_cores is their mean load over the steps kept`,
    },
    rows,
    elapsed_s: Math.round((performance.now() - started) / 100) / 10,
  };
}

async function measure(
  contender: TrainContender,
  shape: TrainShape,
  base: Omit<TrainRow, 'impl' | 'threads'>,
  settings: TrainSettings,
  quick: boolean,
  slowPolicy: Partial<StepPolicy> | undefined,
  log: (line: string) => void,
): Promise<TrainRow> {
  // A slow impl may take fewer timed steps (its factory says so); the shapes never change.
  const policy = quick ? settings.policy : { ...settings.policy, ...slowPolicy };
  let times: number[];
  let loads: number[];
  let losses: number[];
  const setupBytes = contender.backendBytes?.();
  if (contender.selfTimed) {
    ({ stepMs: times, losses } = contender.selfTimed);
    loads = contender.selfTimed.otherCores;
  } else {
    ({ times, loads, losses } = await timeSteps(contender.step!, policy));
  }
  const afterBytes = contender.backendBytes?.();
  const mib = (bytes: number) => roundSignificant(bytes / 2 ** 20);
  const summary = summariseSteps({ times, loads }, policy);
  const row: TrainRow = {
    ...base,
    impl: contender.impl,
    threads: contender.threads,
    median_ms: roundSignificant(summary.medianMs),
    min_ms: roundSignificant(summary.minMs),
    runs: summary.runs,
    gflops: roundSignificant(stepFlops(shape) / summary.medianMs / 1e6),
    tokens_per_s: roundSignificant(tokensPerStep(shape) / (summary.medianMs / 1000)),
    other_cores: quick ? null : summary.otherCores,
    check: checkLosses(losses, shape.vocab),
    loss: losses.length > 0 ? { first: roundSignificant(losses[0]!, 4), last: roundSignificant(losses[losses.length - 1]!, 4) } : null,
    backend_mib: setupBytes !== undefined && afterBytes !== undefined ? { setup: mib(setupBytes), after_steps: mib(afterBytes) } : null,
    ...(summary.discarded > 0 ? { note: `${summary.discarded} step(s) timed while other processes used > ${policy.loadedCores} cores left out` } : {}),
  };
  log(`${shape.name}: ${contender.impl} ${row.median_ms} ms/step, ${row.tokens_per_s} tokens/s, ${row.gflops} GFLOP/s (${row.runs} steps, others ${summary.otherCores} cores)${
    row.backend_mib ? `, backend ${row.backend_mib.setup} MiB after setup, ${row.backend_mib.after_steps} MiB after the steps` : ''
  }`);
  return row;
}

export function checkLosses(losses: readonly number[], vocab: number): string {
  if (losses.length === 0) return 'no loss read';
  if (!losses.every(Number.isFinite)) return `non-finite loss: ${losses.join(', ')}`;
  const expected = Math.log(vocab);
  if (Math.abs(losses[0]! - expected) > 0.5) return `first loss ${losses[0]!.toFixed(3)} is not near ln(${vocab}) = ${expected.toFixed(3)}`;
  return 'ok';
}

export function describeShape(shape: TrainShape): string {
  const gqa = shape.kvHeads === shape.heads ? '' : ` (${shape.kvHeads} KV)`;
  const lora = shape.mode === 'lora' ? `, LoRA r${shape.loraRank} α${shape.loraAlpha} on q/k/v/o${shape.baseDtype ? ` over a ${shape.baseDtype} base` : ''}` : '';
  return `${shape.layers}L d${shape.hidden} ${shape.heads}h${gqa} ffn ${shape.intermediate} V${shape.vocab}, B${shape.batch}×T${shape.sequence}${lora}`;
}

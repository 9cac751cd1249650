import { collectMachineInfo, currentLoad } from '../machine.js';
import { machineLoadGuard, waitForQuiet } from '../measure/machine-load.js';
import { sampleCase, type LoadGuard, type SubjectSamples } from '../measure/sampler.js';
import { median, minimum, roundSignificant } from '../measure/statistics.js';
import { attentionFlops, gigabytesPerSecond, gflopsPerSecond, kvCacheBytes, matmulFlops, weightBytes } from '../measure/throughput.js';
import { UNMEASURED, type ResultFile, type ResultRow } from '../results/result-types.js';
import { makeCaseData, type CaseData } from './case-data.js';
import { errorLine, type Contender, type ContenderFactory, type PreparedCall } from './contender.js';
import { criaWasmFactories, criaWebGPUFactory } from './cria-contender.js';
import { ATTENTION_CONFIG, describeShape, kernelCases, type KernelCase, type WeightType } from './kernel-cases.js';
import { createNaiveContender } from './naive-contender.js';
import { startOnnxContenders } from './onnx-contender.js';
import { checkOutput } from './output-check.js';
import { skipReason, ThroughputHistory, type Caps } from './prediction.js';
import { startTfjsContenders } from './tfjs-contender.js';

/**
 * The kernels suite: matmul, decode matvec (f32 / Q8_0 / Q4_0) and attention, every impl on the
 * same shapes and data in one process, timed interleaved case by case.
 */
export const SUITE = 'kernels';
export const PEER_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node'] as const;

interface Settings {
  caps: Caps;
  /** Before each case, wait up to this long for other processes to use less than `quietCores`. */
  quietWaitMs: number;
  quietCores: number;
  /** Windows of rounds timed while other processes were busy are redone (see sampler.ts); none for --quick. */
  loadGuard?: LoadGuard;
  webgpuBudgetMs: number;
  naiveBudgetMs: number;
}

const FULL: Settings = {
  caps: {
    maxCallMs: 10_000,
    policy: { warmupCalls: 2, minRuns: 5, maxRuns: 30, targetMs: 1500, slowCallMs: 1000, slowMinRuns: 3 },
  },
  quietWaitMs: 10_000,
  quietCores: 0.3,
  loadGuard: machineLoadGuard({ thresholdCores: 0.35, windowMs: 250, maxDiscardedMs: 30_000 }),
  webgpuBudgetMs: 180_000,
  naiveBudgetMs: 150_000,
};

const QUICK: Settings = {
  caps: {
    maxCallMs: 5_000,
    policy: { warmupCalls: 1, minRuns: 2, maxRuns: 3, targetMs: 10, slowCallMs: 1000, slowMinRuns: 1 },
  },
  quietWaitMs: 0,
  quietCores: 0.3,
  webgpuBudgetMs: 30_000,
  naiveBudgetMs: 10_000,
};

export interface KernelsSuiteOptions {
  quick: boolean;
  /** Keep impls whose name contains one of these; null keeps all. */
  only: string[] | null;
  /** Replaces the default contenders (the smoke test runs the reference backend and naive JS). */
  factories?: ContenderFactory[];
  log?: (line: string) => void;
}

export function defaultFactories(settings: Settings): ContenderFactory[] {
  return [
    ...criaWasmFactories(),
    criaWebGPUFactory(settings.webgpuBudgetMs),
    startTfjsContenders,
    startOnnxContenders,
    async () => [createNaiveContender(settings.naiveBudgetMs)],
  ];
}

/** Work of one call, for GFLOP/s; bytes that must stream from memory, for GB/s (memory-bound rows only). */
function workOf(kernelCase: KernelCase, dtype: WeightType): { flops: number; bytes: number | null } {
  if (kernelCase.kind === 'matmul') {
    const { M, K, N } = kernelCase;
    return { flops: matmulFlops(M, K, N), bytes: M === 1 ? weightBytes(dtype, N, K) : null };
  }
  const { queries, context, heads, kvHeads, headDim } = kernelCase;
  return {
    flops: attentionFlops({ queries, keys: context, heads, headDim }),
    bytes: queries === 1 ? kvCacheBytes(context, kvHeads, headDim, dtype === 'f16' ? 2 : 4) : null,
  };
}

const contenderKey = (contender: Contender) => `${contender.impl}/${contender.threads ?? '-'}`;

interface Subject {
  contender: Contender;
  dtype: WeightType;
  prepared: PreparedCall;
}

export async function runKernelsSuite(options: KernelsSuiteOptions): Promise<ResultFile> {
  const started = performance.now();
  const loadAtStart = currentLoad();
  const settings = options.quick ? QUICK : FULL;
  const log = options.log ?? (() => {});
  const history = new ThroughputHistory();

  const contenders: Contender[] = [];
  for (const factory of options.factories ?? defaultFactories(settings)) contenders.push(...(await factory()));
  const selected = contenders.filter((contender) => !options.only || options.only.some((part) => contender.impl.includes(part)));
  for (const contender of contenders) if (!selected.includes(contender)) await contender.dispose();
  for (const contender of selected) {
    log(`${contender.impl} ×${contender.threads ?? '-'}: ${contender.unavailable ? `unavailable — ${contender.unavailable}` : (contender.note ?? 'ready')}`);
  }

  const rows: ResultRow[] = [];
  for (const kernelCase of kernelCases(options.quick)) {
    for (const row of await runCase(kernelCase, selected, settings, history, log)) {
      rows.push(row);
      log(describeRow(row));
    }
  }

  const webgpu = selected.find((contender) => contender.impl === 'cria-webgpu');
  const machine = collectMachineInfo(
    !webgpu ? 'not measured in this run' : webgpu.unavailable ? `unavailable: ${webgpu.unavailable}` : (webgpu.note ?? 'available'),
    PEER_PACKAGES,
    loadAtStart,
  );
  for (const contender of selected) await contender.dispose();

  return {
    suite: SUITE,
    quick: options.quick,
    machine,
    impls: selected.map((contender) => ({
      impl: contender.impl,
      threads: contender.threads,
      description: contender.unavailable ? `unavailable: ${contender.unavailable}` : (contender.note ?? ''),
    })),
    method: describeMethod(settings),
    rows,
    elapsed_s: Math.round((performance.now() - started) / 100) / 10,
  };
}

function emptyRow(kernelCase: KernelCase, contender: Contender, dtype: WeightType): ResultRow {
  return {
    suite: SUITE,
    benchmark: kernelCase.benchmark,
    impl: contender.impl,
    threads: contender.threads,
    shape: describeShape(kernelCase),
    dtype,
    ...UNMEASURED,
  };
}

/**
 * One case: prepares every contender that covers it (or writes why not), waits briefly for a quiet
 * machine, times them all interleaved, then checks and summarises. Rows come back in contender order.
 */
async function runCase(
  kernelCase: KernelCase,
  contenders: readonly Contender[],
  settings: Settings,
  history: ThroughputHistory,
  log: (line: string) => void,
): Promise<ResultRow[]> {
  const data = makeCaseData(kernelCase);
  const subjects: Subject[] = [];
  const slots: (ResultRow | Subject)[] = [];
  const skip = (contender: Contender, dtype: WeightType, reason: string) => slots.push({ ...emptyRow(kernelCase, contender, dtype), skipped: reason });

  for (const dtype of kernelCase.dtypes) {
    for (const contender of contenders) {
      if (!contender.covers(kernelCase, dtype)) continue;
      if (contender.unavailable) {
        skip(contender, dtype, contender.unavailable);
        continue;
      }
      const prediction = history.predict(contenderKey(contender), kernelCase.benchmark, dtype, workOf(kernelCase, dtype).flops);
      const reason = skipReason(prediction, contender.budget, settings.caps);
      if (reason) {
        skip(contender, dtype, reason);
        continue;
      }
      try {
        const subject = { contender, dtype, prepared: await contender.prepare(kernelCase, data, dtype) };
        subjects.push(subject);
        slots.push(subject);
      } catch (error) {
        skip(contender, dtype, `prepare failed: ${errorLine(error)}`);
      }
    }
  }
  if (subjects.length === 0) return slots as ResultRow[];

  const waited = await waitForQuiet(settings.quietCores, settings.quietWaitMs);
  const samples = await sampleCase(
    subjects.map(({ contender, dtype, prepared }) => ({ label: `${contender.impl} ×${contender.threads ?? '-'} ${dtype}`, call: prepared.call, budget: contender.budget })),
    settings.caps.policy,
    undefined,
    settings.loadGuard,
  );
  const otherCores = samples.otherCores === null ? null : Math.round(samples.otherCores * 100) / 100;
  const notes = [
    waited >= 100 ? `waited ${(waited / 1000).toFixed(1)} s for a quieter machine` : '',
    samples.discardedMs > 0 ? `redid ${(samples.discardedMs / 1000).toFixed(1)} s of rounds timed while the machine was busy` : '',
  ].filter(Boolean);
  log(`${kernelCase.benchmark} ${describeShape(kernelCase)}: other processes used ${otherCores ?? '?'} cores in the kept rounds${notes.length ? ` (${notes.join('; ')})` : ''}`);

  const measured = new Map<Subject, ResultRow>();
  for (let index = 0; index < subjects.length; index++) {
    const subject = subjects[index]!;
    const row = { ...emptyRow(kernelCase, subject.contender, subject.dtype), other_cores: otherCores };
    measured.set(subject, await summarise(kernelCase, data, subject, samples.subjects[index]!, row, history));
    subject.prepared.release();
  }
  return slots.map((slot) => ('prepared' in slot ? measured.get(slot)! : slot));
}

function describeRow(row: ResultRow): string {
  const head = `${row.benchmark} ${row.shape} ${row.dtype} ${row.impl} ×${row.threads ?? '-'}`;
  if (row.skipped) return `${head}: skipped — ${row.skipped}`;
  const gbps = row.gbps !== null ? `, ${row.gbps} GB/s` : '';
  return `${head}: ${row.median_ms} ms, ${row.gflops} GFLOP/s${gbps} (${row.runs} runs, check ${row.check})`;
}

function describeMethod(settings: Settings): Record<string, unknown> {
  return {
    timing: 'each impl warmed up, then timed one call at a time in rotating round-robin with the others on the same case; median of the runs',
    call: 'one kernel call until its result is usable (Cria: op + backend.sync(); onnxruntime: session.run; tfjs: matMul)',
    sampling: settings.caps.policy,
    max_call_ms: settings.caps.maxCallMs,
    quiet_wait: `before each case, up to ${settings.quietWaitMs / 1000} s of waiting for other processes to use < ${settings.quietCores} cores`,
    load_guard: settings.loadGuard
      ? `timed rounds are judged in windows of ≥ ${settings.loadGuard.windowMs} ms; a window in which other processes used > ${settings.loadGuard.thresholdCores} cores is thrown away and timed again, up to ${settings.loadGuard.maxDiscardedMs / 1000} s per case; other_cores is the load over the kept windows`
      : 'none',
    budgets_ms: { 'cria-webgpu': settings.webgpuBudgetMs, 'naive-js': settings.naiveBudgetMs },
    attention: { ...ATTENTION_CONFIG, layout: 'q [1, T, heads, D], K/V cache [1, S, kvHeads, D], causal, kvLength = S = context' },
    gflops: 'matmul 2·M·N·K / median; attention 4·D·heads·(visible query-key pairs) / median',
    gbps: 'decode matvec: weight bytes (f32 4, Q8_0 34/32, Q4_0 18/32 per value) / median; attention decode: K+V cache bytes / median',
    check: 'each impl output compared once per case with f64 sums at sampled positions (normalised error)',
  };
}

async function summarise(
  kernelCase: KernelCase,
  data: CaseData,
  subject: Subject,
  samples: SubjectSamples,
  row: ResultRow,
  history: ThroughputHistory,
): Promise<ResultRow> {
  if (samples.times.length === 0) {
    return { ...row, skipped: samples.error ? `failed: ${samples.error}` : (samples.cutShort ?? 'no timed run') };
  }
  const medianMs = median(samples.times);
  const { flops, bytes } = workOf(kernelCase, subject.dtype);
  history.record(contenderKey(subject.contender), {
    benchmark: kernelCase.benchmark,
    dtype: subject.dtype,
    shape: row.shape,
    flopsPerMs: flops / medianMs,
  });
  let check: string;
  try {
    check = checkOutput(kernelCase, data, subject.dtype, await subject.prepared.output());
  } catch (error) {
    check = `check failed: ${errorLine(error)}`;
  }
  const cutShort = samples.error ? `stopped after ${samples.times.length} runs: ${samples.error}` : samples.cutShort ? `cut short: ${samples.cutShort}` : undefined;
  return {
    ...row,
    median_ms: roundSignificant(medianMs),
    min_ms: roundSignificant(minimum(samples.times)),
    runs: samples.times.length,
    gflops: roundSignificant(gflopsPerSecond(flops, medianMs)),
    gbps: bytes === null ? null : roundSignificant(gigabytesPerSecond(bytes, medianMs)),
    check,
    ...(cutShort ? { note: cutShort } : {}),
  };
}

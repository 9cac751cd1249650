import { readFileSync } from 'node:fs';
import { createWasmBackend, createWebGPUBackend, ResourceLimitError, type Backend } from '@cria/kernels';
import { loadModel, type KvCache, type LlamaModel } from '@cria/runtime';
import { argmax, OwnTurnLoad, peakRssBytes, type ChildRequest, type ChildResult, type DecodeSession, type Repetition } from './child-protocol.js';

/**
 * Cria in a child process: the GGUF loaded with the runtime's `loadModel` onto the wasm backend
 * (`threads` threads) or WebGPU, then prefill + greedy decode through `LlamaModel.forwardInto`, the
 * loop the engine runs, minus tokenizer and sampler settings (greedy is an argmax on the host).
 * The timed repetitions are the parent's to call (see child-protocol.ts).
 */
interface SubmitCounters {
  submits: number;
  dispatches: number;
}

interface Pass extends Repetition {
  tokens: number[];
  /** WebGPU counters over the prefill and over the decode steps. */
  prefill?: SubmitCounters;
  decode?: SubmitCounters;
  /** WebGPU: CPU ms from each decode step's start to its submit (recording its dispatches). */
  recordMs?: number[];
}

/**
 * WebGPU: times the CPU side of a step, from `begin()` until the backend's one submit — everything
 * the host does per token before the GPU can start (op validation, bind groups, encoding). It bounds
 * tokens/s on any GPU, however fast, and does not depend on the adapter's speed.
 */
function recordingClock(backend: Backend): { begin(): void; take(): number[] } | undefined {
  const recorder = (backend as { recorder?: { submit(): void } }).recorder;
  if (!recorder) return undefined;
  const submit = recorder.submit.bind(recorder);
  let started: number | undefined;
  let samples: number[] = [];
  recorder.submit = () => {
    if (started !== undefined) samples.push(performance.now() - started);
    started = undefined;
    submit();
  };
  return {
    begin: () => void (started = performance.now()),
    take: () => {
      const taken = samples;
      samples = [];
      return taken;
    },
  };
}
const clocks = new WeakMap<Backend, ReturnType<typeof recordingClock>>();

/** Held for the process's life: Dawn tears its instance down when the `GPU` object is collected. */
let nullGpu: GPU | undefined;

/**
 * Cria's WebGPU backend on Dawn's null device (the `webgpu` package's `backend=null`): the same
 * calls, validated by Dawn's front end, with nothing executed. Outputs are garbage by design; the
 * time is the host's own cost per token.
 */
async function createHostOnlyBackend(): Promise<Backend> {
  const moduleName = 'webgpu';
  const { create, globals } = (await import(moduleName)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, globals);
  nullGpu ??= create(['backend=null']);
  const adapter = await nullGpu.requestAdapter();
  if (!adapter || adapter.info.device !== 'null-backend') throw new Error(`Dawn's null device is not available in this build of the webgpu package (got ${adapter ? JSON.stringify(adapter.info.device) : 'no adapter'})`);
  return createWebGPUBackend({ gpu: nullGpu, adapter });
}

const HOST_ONLY_DESCRIPTION = "webgpu on Dawn's null device: every WebGPU call made and validated, no GPU work (outputs not computed); tok/s = the host side's ceiling on any GPU";

async function createBackend(request: ChildRequest): Promise<Backend> {
  if (request.impl === 'cria-wasm') return createWasmBackend({ threads: request.threads });
  if (request.impl === 'cria-webgpu-host') return createHostOnlyBackend();
  return createWebGPUBackend();
}

/**
 * Where the resident set stands after each phase (stderr, so the suite's log shows it): RSS and its
 * high-water mark, the JS heap, and array buffers outside it. Reading /proc costs nothing measurable.
 */
function logMemory(impl: string, phase: string): void {
  let resident = '';
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const mib = (key: string) => Math.round(Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024);
    resident = `RSS ${mib('VmRSS')} MiB (peak ${mib('VmHWM')})`;
  } catch {
    resident = `RSS ${Math.round(process.memoryUsage().rss / MiB)} MiB`; // no /proc (macOS)
  }
  const { heapUsed, heapTotal, arrayBuffers } = process.memoryUsage();
  process.stderr.write(`${impl} memory after ${phase}: ${resident}, JS heap ${Math.round(heapUsed / MiB)}/${Math.round(heapTotal / MiB)} MiB, array buffers ${Math.round(arrayBuffers / MiB)} MiB\n`);
}
const MiB = 1024 * 1024;
const medianOf = (values: readonly number[] = []) => (values.length === 0 ? undefined : [...values].sort((a, b) => a - b)[values.length >> 1]);

const counters = (backend: Backend): SubmitCounters | undefined => {
  const stats = (backend as { stats?: SubmitCounters }).stats;
  return stats ? { submits: stats.submits, dispatches: stats.dispatches } : undefined;
};
const difference = (after?: SubmitCounters, before?: SubmitCounters) =>
  after && before ? { submits: after.submits - before.submits, dispatches: after.dispatches - before.dispatches } : undefined;

async function pass(model: LlamaModel, cache: KvCache, prompt: readonly number[], generate: number): Promise<Pass> {
  const backend = model.backend;
  cache.truncate(0);
  const start = counters(backend);
  const started = performance.now();
  // One logits array for the pass, as the engine's generation loop does (forwardInto).
  const logits = await model.forwardInto(prompt, cache, new Float32Array(model.config.vocabSize));
  const prefilled = performance.now();
  const afterPrefill = counters(backend);
  const tokens = [argmax(logits)];
  if (!clocks.has(backend)) clocks.set(backend, recordingClock(backend));
  const clock = clocks.get(backend);
  clock?.take();
  for (let step = 0; step < generate; step++) {
    clock?.begin();
    await model.forwardInto([tokens[tokens.length - 1]!], cache, logits);
    tokens.push(argmax(logits));
  }
  const finished = performance.now();
  return {
    prefillMs: prefilled - started,
    decodeMs: finished - prefilled,
    tokens,
    prefill: difference(afterPrefill, start),
    decode: difference(counters(backend), afterPrefill),
    ...(clock ? { recordMs: clock.take() } : {}),
  };
}

/** The host-only child that could not load its model: the reason, and the process's memory as it stands. */
function hostOnlySkipped(skipped: string): ChildResult {
  return {
    impl: 'cria-webgpu-host',
    description: HOST_ONLY_DESCRIPTION,
    threads: null,
    loadMs: 0,
    repetitions: [],
    firstTokens: [],
    kvCacheBytes: 0,
    peakRssBytes: peakRssBytes(),
    rssAfterBytes: process.memoryUsage().rss,
    otherCores: null,
    skipped,
  };
}

/**
 * Loads the model, warms up (WebGPU: probes first and answers a skipped result when the full run
 * would not fit the cap), and hands back a session the parent drives one repetition at a time.
 */
export async function prepareCria(request: ChildRequest): Promise<DecodeSession | ChildResult> {
  logMemory(request.impl, 'start');
  const backend = await createBackend(request);
  logMemory(request.impl, 'backend creation');
  try {
    const loadStarted = performance.now();
    const loaded = await loadModel(request.modelPath, backend).catch((error: unknown) => {
      // Dawn's null device caps what it allocates (512 MiB in DeviceNull.cpp): a bigger model has no host-only run.
      if (request.impl === 'cria-webgpu-host' && error instanceof ResourceLimitError) return undefined;
      throw error;
    });
    if (!loaded) {
      backend.dispose();
      return hostOnlySkipped(`Dawn's null device ran out of memory loading this model (it caps its allocations at 512 MiB): no host-only run`);
    }
    const { model } = loaded;
    const loadMs = performance.now() - loadStarted;
    logMemory(request.impl, 'loading (tokenizer, header, weights)');
    const cache = model.createCache(request.contextSize);
    logMemory(request.impl, 'KV cache');
    const details = backend.info.details as { threads?: number };
    const base: ChildResult = {
      impl: request.impl,
      description: request.impl === 'cria-webgpu-host' ? HOST_ONLY_DESCRIPTION : backend.info.description,
      threads: request.impl === 'cria-wasm' ? (details.threads ?? null) : null,
      loadMs: Math.round(loadMs),
      repetitions: [],
      firstTokens: [],
      kvCacheBytes: cache.bytes, // the runtime's default type: f32 on wasm, f16 on WebGPU
      peakRssBytes: 0,
      rssAfterBytes: 0,
      otherCores: null,
    };

    let note: string | undefined;
    if (request.impl === 'cria-webgpu' && request.countOnly) {
      // One decode step after a 1-token prefill: what a token costs in dispatches and submits
      // (the same for every step), at a fraction of a warm-up's time on a software adapter.
      const started = performance.now();
      const counted = await pass(model, cache, request.prompt.slice(0, 1), 1);
      base.webgpu = { dispatchesPerToken: counted.decode!.dispatches, submitsPerToken: counted.decode!.submits, prefillSubmits: counted.prefill!.submits, recordMsPerToken: medianOf(counted.recordMs) };
      note = `counted on a 1-token prefill (${Math.round(counted.prefillMs)} ms) and one decode step (${Math.round(counted.decodeMs)} ms), pipelines compiled on the way`;
      cache.dispose();
      backend.dispose();
      const elapsed = Math.round((performance.now() - started) / 1000);
      return { ...base, skipped: `speed not measured: only the per-token counters (${elapsed} s; a smaller model's probe already predicted a full run over the cap)`, note, peakRssBytes: peakRssBytes(), rssAfterBytes: process.memoryUsage().rss };
    }
    if (request.impl === 'cria-webgpu') {
      // Warm-up and probe on a short prompt: compiles every pipeline, counts submits and dispatches,
      // and tells whether the full run fits the cap on this adapter (SwiftShader is a CPU emulation).
      const probePrompt = request.prompt.slice(0, 8);
      await pass(model, cache, probePrompt, 2);
      const probe = await pass(model, cache, probePrompt, 4);
      base.webgpu = {
        dispatchesPerToken: probe.decode!.dispatches / 4,
        submitsPerToken: probe.decode!.submits / 4,
        recordMsPerToken: medianOf(probe.recordMs),
        prefillSubmits: probe.prefill!.submits,
      };
      const perStepMs = probe.decodeMs / 4;
      const predictedPrefillMs = (probe.prefillMs * request.prompt.length) / probePrompt.length;
      const predictedDecodeMs = perStepMs * request.generate;
      note = `probe: ${probePrompt.length}-token prefill ${Math.round(probe.prefillMs)} ms, one decode step ${Math.round(perStepMs)} ms`;
      const cap = request.maxPredictedMs ?? Infinity;
      if (predictedPrefillMs + predictedDecodeMs > cap) {
        cache.dispose();
        backend.dispose();
        return {
          ...base,
          probe: { promptTokens: probePrompt.length, prefillMs: probe.prefillMs, steps: 4, decodeMs: probe.decodeMs },
          skipped: `too slow on this adapter for the ${Math.round(cap / 1000)} s cap per run (${note}; a ${request.prompt.length}-token prefill and ${request.generate} decode steps would not fit)`,
          note,
          peakRssBytes: peakRssBytes(),
          rssAfterBytes: process.memoryUsage().rss,
        };
      }
    } else {
      await pass(model, cache, request.prompt, Math.min(8, request.generate)); // warm-up: first-touch of memory, thread pool start
    }
    logMemory(request.impl, 'warm-up pass');

    const load = new OwnTurnLoad();
    let last: Pass | undefined;
    return {
      run: async () => {
        last = await load.during(() => pass(model, cache, request.prompt, request.generate));
        const repetition = { prefillMs: last.prefillMs, decodeMs: last.decodeMs };
        base.repetitions.push(repetition);
        process.stderr.write(`${request.impl}: prefill ${Math.round(last.prefillMs)} ms, decode ${Math.round(last.decodeMs)} ms\n`);
        return repetition;
      },
      finish: async () => {
        base.otherCores = load.cores();
        logMemory(request.impl, 'timed passes');
        base.rssAfterBytes = process.memoryUsage().rss;
        if (last?.decode) {
          base.webgpu = {
            dispatchesPerToken: last.decode.dispatches / request.generate,
            submitsPerToken: last.decode.submits / request.generate,
            prefillSubmits: last.prefill!.submits,
            recordMsPerToken: medianOf(last.recordMs),
          };
        }
        cache.dispose();
        backend.dispose();
        // The null device computes nothing: its "tokens" are argmaxes of uninitialized memory.
        const firstTokens = request.impl === 'cria-webgpu-host' ? [] : (last?.tokens.slice(0, 16) ?? []);
        return { ...base, firstTokens, peakRssBytes: peakRssBytes(), ...(note ? { note } : {}) };
      },
    };
  } catch (error) {
    backend.dispose();
    throw error;
  }
}

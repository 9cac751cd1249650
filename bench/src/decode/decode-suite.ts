import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectMachineInfo, currentLoad } from '../machine.js';
import { waitForQuiet } from '../measure/machine-load.js';
import { median, minimum, roundSignificant } from '../measure/statistics.js';
import { UNMEASURED, type ImplInfo, type MachineInfo, type ResultFile, type ResultRow } from '../results/result-types.js';
import { DECODE_IMPLS, isWebGpuImpl, type ChildRequest, type ChildResult, type DecodeImpl } from './child-protocol.js';
import { ensureModelFile, modelCacheDirectory, type ModelFile } from './model-file.js';
import { FULL_MODELS, headDim, kvCacheBytes, modelLabel, parameterCount, QUICK_MODELS, type DecodeModelSpec } from './model-shapes.js';
import { measureNodeFloor } from '../measure/node-floor.js';
import { CHILD_EXEC_ARGV, startChildRunner, type ChildRunner, type DecodeChild } from './spawn-child.js';

/**
 * The decode suite: for each model (SmolLM2-135M shapes in Q8_0 and Q4_0, TinyLlama-1.1B shapes in
 * Q4_0, random weights), Cria wasm and llama.cpp (node-llama-cpp) on 2 threads and Cria WebGPU on the
 * adapter present, each in its own child process on the same GGUF file: prefill tokens/s on a
 * 128-token prompt, greedy decode tokens/s over 128 generated tokens, peak RSS. The two CPU impls'
 * timed passes alternate (see runInterleaved), so a noisy minute of a shared host hits both.
 */
export const SUITE = 'decode';
export const PEER_PACKAGES = ['node-llama-cpp'] as const;

export interface DecodeRow extends ResultRow {
  model: string;
  prompt_tokens: number;
  generated_tokens: number;
  /** Prompt tokens / median prefill time (the prefill ends with the first token picked). */
  prefill_tokens_per_s: number | null;
  /** Generated tokens / median decode time (one forward of one token + greedy pick each). */
  decode_tokens_per_s: number | null;
  prefill_ms: number | null;
  decode_ms: number | null;
  load_ms: number | null;
  peak_rss_bytes: number | null;
  rss_after_bytes: number | null;
  /** Tensor data in the GGUF file. */
  weights_bytes: number;
  /** The KV cache as this impl allocates it (Cria wasm f32, Cria WebGPU and llama.cpp f16: their defaults) for `context` positions. */
  kv_cache_bytes: number | null;
  /** cria-wasm: peak RSS of a Node child with one worker thread and nothing loaded (see node-floor.ts), measured in the same run. */
  node_floor_rss_bytes?: number;
  /** WebGPU only: per generated token, from the backend's counters. */
  dispatches_per_token?: number;
  /** WebGPU: median CPU ms from a decode step's start to its one submit (recording every dispatch). */
  record_ms_per_token?: number;
  submits_per_token?: number;
  /** The first greedy tokens (both CPU impls run the same loop on the same file: they should agree). */
  first_tokens?: number[];
  /** A row of the long-context phase (a long prompt, then decode deep into the cache): reported apart, no bars. */
  long_context?: boolean;
}

interface Settings {
  models: readonly DecodeModelSpec[];
  promptTokens: number;
  generate: number;
  contextSize: number;
  repetitions: number;
  budgetMs: number;
  /** WebGPU: skip when its probe predicts a run over this. */
  webgpuCapMs: number;
  /** WebGPU: only count dispatches and submits (set per model by the suite, see runDecodeSuite). */
  webgpuCountOnly?: boolean;
  /** Longest wait for one answer of a child (loading + warm-up, one timed pass, its summary). */
  childTimeoutMs: number;
  quietWaitMs: number;
  quietCores: number;
  /**
   * Before each timed pass, up to this long waiting for the machine (the idle peer child included)
   * to go quiet: a child that has just finished its pass may still have threads polling for work,
   * and a 150 ms prefill started under that tail is what gets timed. 0 skips the wait.
   */
  settleWaitMs: number;
  /** The long-context phase: the CPU impls again, prefilling a long prompt and decoding deep into the cache. */
  long: { promptTokens: number; generate: number; contextSize: number };
}

/** "Quiet" before a timed pass: under a quarter of a core busy outside the parent, over 100 ms. */
const SETTLED_CORES = 0.25;
const SETTLE_LOOK_MS = 100;

const FULL: Settings = {
  models: FULL_MODELS,
  promptTokens: 128,
  generate: 128,
  contextSize: 512,
  repetitions: 3,
  budgetMs: 60_000,
  webgpuCapMs: 120_000,
  childTimeoutMs: 420_000,
  quietWaitMs: 20_000,
  quietCores: 0.5,
  settleWaitMs: 2_000,
  long: { promptTokens: 2048, generate: 32, contextSize: 2304 },
};

const QUICK: Settings = {
  models: QUICK_MODELS,
  promptTokens: 16,
  generate: 8,
  contextSize: 64,
  repetitions: 1,
  budgetMs: 0,
  webgpuCapMs: 60_000,
  childTimeoutMs: 120_000,
  quietWaitMs: 0,
  quietCores: 0.5,
  settleWaitMs: 0,
  long: { promptTokens: 40, generate: 4, contextSize: 64 },
};

export interface DecodeSuiteOptions {
  quick: boolean;
  only: string[] | null;
  log?: (line: string) => void;
  /** Where the generated GGUF files are cached (default $CRIA_BENCH_MODELS or <tmp>/cria-bench-models). */
  modelDirectory?: string;
}

/** A fixed prompt of ids drawn from the tokenizer's normal (non-control) tokens. */
export function benchPrompt(length: number): number[] {
  return Array.from({ length }, (_, i) => (i * 97 + 13) % 290);
}

export async function runDecodeSuite(options: DecodeSuiteOptions): Promise<ResultFile> {
  const started = performance.now();
  const loadAtStart = currentLoad();
  const settings = options.quick ? QUICK : FULL;
  const log = options.log ?? (() => {});
  const impls = DECODE_IMPLS.filter((impl) => !options.only || options.only.some((part) => impl.includes(part)));
  const directory = options.modelDirectory ?? modelCacheDirectory();
  // What Node itself holds before any model: the memory bar's floor, measured here, not assumed.
  const floor = measureNodeFloor(CHILD_EXEC_ARGV);
  log(`Node floor: ${(floor.bareBytes / 2 ** 20).toFixed(0)} MiB bare, ${(floor.withWorkerBytes / 2 ** 20).toFixed(0)} MiB with one worker thread`);
  const withFloor = (row: DecodeRow): DecodeRow => (row.impl === 'cria-wasm' ? { ...row, node_floor_rss_bytes: floor.withWorkerBytes } : row);
  const runner = await startChildRunner();
  const rows: DecodeRow[] = [];
  const implInfo = new Map<DecodeImpl, ImplInfo>();
  const files: Record<string, ModelFile & { parameters: number }> = {};
  let webgpu = 'not run';
  /** Weights of the smallest model WebGPU was too slow for: larger ones get only their counters (a full try costs minutes). */
  let webgpuTooSlowAt = Infinity;
  try {
    for (const spec of settings.models) {
      const label = modelLabel(spec);
      const file = ensureModelFile(spec, directory);
      files[label] = { ...file, parameters: parameterCount(spec.shape) };
      log(`${label}: ${file.path} (${(file.bytes / 2 ** 20).toFixed(1)} MiB, ${file.generated ? `generated in ${file.generateSeconds} s` : 'cached'})`);
      // The CPU impls take turns in one group; each WebGPU impl (its own device, minutes per pass on SwiftShader) after them, alone.
      const groups: DecodeImpl[][] = [impls.filter((impl) => !isWebGpuImpl(impl)), ...impls.filter(isWebGpuImpl).map((impl) => [impl])].filter((group) => group.length > 0);
      for (const group of groups) {
        // A model with more weights than one WebGPU was already too slow for gets only its counters.
        const countOnly = group.includes('cria-webgpu') && file.weightBytes >= webgpuTooSlowAt;
        if (countOnly) log(`${label} cria-webgpu: counters only (a model of ${(webgpuTooSlowAt / 2 ** 20).toFixed(0)} MiB was already over the ${settings.webgpuCapMs / 1000} s cap)`);
        for (const row of await runInterleaved(runner, spec, file, group, { ...settings, webgpuCountOnly: countOnly }, log)) {
          const impl = row.row.impl as DecodeImpl;
          if (impl === 'cria-webgpu' && (row.result?.skipped || row.row.skipped?.includes('killed after'))) webgpuTooSlowAt = Math.min(webgpuTooSlowAt, file.weightBytes);
          rows.push(withFloor(row.row));
          if (row.result) {
            implInfo.set(impl, { impl, threads: row.result.threads, description: row.result.description });
            if (impl === 'cria-webgpu') webgpu = row.result.description.replace(/^webgpu: /, '');
          } else if (!implInfo.has(impl)) {
            implInfo.set(impl, { impl, threads: null, description: `could not run: ${row.row.skipped}` });
            if (impl === 'cria-webgpu') webgpu = row.row.skipped ?? 'unavailable';
          }
        }
      }
      const cpu = impls.filter((impl) => !isWebGpuImpl(impl));
      if (cpu.length > 0) {
        log(`${label}: long context (${settings.long.promptTokens}-token prompt, then ${settings.long.generate} decode steps)`);
        for (const row of await runInterleaved(runner, spec, file, cpu, { ...settings, ...settings.long }, log)) rows.push(withFloor({ ...row.row, long_context: true }));
      }
    }
  } finally {
    runner.dispose();
  }
  checkSameTokens(rows);
  return {
    suite: SUITE,
    quick: options.quick,
    machine: withPeerVersion(collectMachineInfo(webgpu, PEER_PACKAGES, loadAtStart)),
    impls: [...implInfo.values()],
    method: {
      models: Object.fromEntries(Object.entries(files).map(([label, file]) => [label, { bytes: file.bytes, weights_bytes: file.weightBytes, parameters: file.parameters }])),
      weights:
        'random (uniform, std 1/sqrt(fan_in); output head std 4/sqrt(hidden)), seeded; every matrix incl. token_embd/output in the model type, norms F32; GGUF v3 written by the suite (header by @cria/runtime encodeGguf, tensors streamed and quantized in chunks), cached by config + seed',
      prompt: `${settings.promptTokens} fixed ids (no tokenizer in the timed path)`,
      generate: `${settings.generate} greedy decode steps after the prefill (EOS ignored: llama.cpp with yieldEogToken)`,
      context: `${settings.contextSize} KV positions allocated by both impls`,
      long_context: `the CPU impls again, in fresh children: a ${settings.long.promptTokens}-token prompt, then ${settings.long.generate} greedy decode steps at positions ${settings.long.promptTokens}…, ${settings.long.contextSize} KV positions; same warm-up, interleaving and repetitions; reported in their own table, no bars`,
      threads: 2,
      repetitions: `1 warm-up, then up to ${settings.repetitions} timed (prefill + decode) passes, none started once an impl has ${settings.budgetMs / 1000} s of timed passes; medians`,
      interleaving:
        'per model, the Cria wasm and llama.cpp children are both loaded and warmed up (one after the other), each runs one more untimed settling pass (the second load evicts the first child’s caches), then their timed passes alternate A B, B A, A B … (the parent tells each child when to run one; the other idles), so a noisy minute of the host falls on both; WebGPU runs after them, alone',
      node_floor: `before the models, ${CHILD_EXEC_ARGV.join(' ')} Node children that load nothing: bare ${(floor.bareBytes / 2 ** 20).toFixed(1)} MiB, ${(floor.withWorkerBytes / 2 ** 20).toFixed(1)} MiB once one worker thread has started (the wasm backend's second thread is one); median of 3. The memory bar's floor is that plus weights + KV cache`,
      processes: 'each (impl, model) in a fresh Node; peak RSS = process.resourceUsage().maxRSS at its end (llama.cpp mmaps the file: its touched pages count)',
      webgpu: `probe first (8-token prompt, 4 decode steps, after a warm-up that compiles pipelines); the full run is skipped when the probe predicts over ${settings.webgpuCapMs / 1000} s, and a model with more weights than one already over it gets only its counters (1-token prefill, one decode step)`,
      webgpu_host:
        "cria-webgpu-host: the WebGPU path on Dawn's null device (the webgpu package's backend=null), alone after the other impls, warm-up and passes as the CPU impls: every WebGPU call is made and validated by Dawn's front end, nothing runs on a GPU, so its prefill and decode tok/s are what the host side alone allows (op checks, bind groups, uniforms, encoding, Dawn's validation, the read-back's round trip); a real driver adds its own command recording on top",
      quiet_wait: `before each model's children start, up to ${settings.quietWaitMs / 1000} s of waiting for other processes to use < ${settings.quietCores} cores; other_cores is what they used during that impl's own timed passes (the peer child's turns excluded)`,
      settle: `before each timed pass, up to ${settings.settleWaitMs / 1000} s of waiting until other processes, the idle peer child included, use < ${SETTLED_CORES} cores over ${SETTLE_LOOK_MS} ms (a child that has just finished its pass may still have threads polling for work)`,
    },
    rows,
    elapsed_s: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** node-llama-cpp's exports hide its package.json from require(): find it from the resolved entry. */
function withPeerVersion(machine: MachineInfo): MachineInfo {
  try {
    let directory = dirname(fileURLToPath(import.meta.resolve('node-llama-cpp')));
    while (!existsSync(join(directory, 'package.json')) || JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).name !== 'node-llama-cpp') {
      const parent = dirname(directory);
      if (parent === directory) return machine;
      directory = parent;
    }
    machine.versions['node-llama-cpp'] = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).version;
  } catch {
    // Left as collectMachineInfo found it ("not installed").
  }
  return machine;
}

function baseRow(spec: DecodeModelSpec, file: ModelFile, impl: DecodeImpl, settings: Settings): DecodeRow {
  return {
    suite: SUITE,
    benchmark: modelLabel(spec),
    model: modelLabel(spec),
    impl,
    threads: isWebGpuImpl(impl) ? null : 2,
    shape: `prompt ${settings.promptTokens}, generate ${settings.generate}`,
    dtype: spec.type.toLowerCase(),
    ...UNMEASURED,
    prompt_tokens: settings.promptTokens,
    generated_tokens: settings.generate,
    prefill_tokens_per_s: null,
    decode_tokens_per_s: null,
    prefill_ms: null,
    decode_ms: null,
    load_ms: null,
    peak_rss_bytes: null,
    rss_after_bytes: null,
    weights_bytes: file.weightBytes,
    // Each impl's default KV cache type: llama.cpp and Cria on WebGPU f16, Cria on wasm f32.
    kv_cache_bytes: kvCacheBytes(spec.shape, settings.contextSize, impl === 'cria-wasm' ? 4 : 2),
  };
}

function childRequest(spec: DecodeModelSpec, file: ModelFile, impl: DecodeImpl, settings: Settings): ChildRequest {
  const { shape } = spec;
  return {
    impl,
    modelPath: file.path,
    threads: 2,
    prompt: benchPrompt(settings.promptTokens),
    generate: settings.generate,
    contextSize: settings.contextSize,
    kvValuesPerPosition: shape.numLayers * 2 * shape.numKvHeads * headDim(shape),
    ...(impl === 'cria-webgpu' ? { maxPredictedMs: settings.webgpuCapMs, countOnly: settings.webgpuCountOnly === true } : {}),
  };
}

/** One impl's child through the interleaved run: live until it finishes, skips, or fails. */
interface Turn {
  impl: DecodeImpl;
  child?: DecodeChild;
  /** Sum of its own timed passes, for the budget. */
  timedMs: number;
  result?: ChildResult;
  failed?: string;
}

/**
 * Runs `impls` on one model, each in its own child: starts and warms them up one after the other,
 * runs one untimed settling pass of each, then alternates their timed repetitions (A B, B A, A B …)
 * so both see the same minutes of the host.
 * A round starts only while every live child is under its repetition count and its own time budget,
 * so the impls get the same number of passes. A child that crashes, hangs, or skips leaves the
 * others running; its row says why. Rows come back in `impls` order.
 */
async function runInterleaved(
  runner: ChildRunner,
  spec: DecodeModelSpec,
  file: ModelFile,
  impls: readonly DecodeImpl[],
  settings: Settings,
  log: (line: string) => void,
): Promise<{ row: DecodeRow; result?: ChildResult }[]> {
  const label = modelLabel(spec);
  const turns: Turn[] = impls.map((impl) => ({ impl, timedMs: 0 }));
  const fail = (turn: Turn, error: unknown) => {
    turn.failed = (error as Error).message.split('\n')[0]!;
    turn.child?.kill();
    log(`${label} ${turn.impl}: ${turn.failed}`);
  };
  const live = () => turns.filter((turn) => turn.child && !turn.failed && !turn.result);
  try {
    const waited = await waitForQuiet(settings.quietCores, settings.quietWaitMs);
    if (waited >= 1000) log(`${label}: waited ${Math.round(waited / 1000)} s for a quieter machine`);
    for (const turn of turns) {
      if (turn.failed) continue;
      log(`${label} ${turn.impl}: loading and warming up`);
      turn.child = runner.start(childRequest(spec, file, turn.impl, settings), { timeoutMs: settings.childTimeoutMs, log });
      try {
        const ready = await turn.child.ready();
        if (ready !== 'ready') turn.result = ready; // skipped by its own probe
      } catch (error) {
        fail(turn, error);
      }
    }
    // One untimed pass each once all are loaded: the first child's warm-up ran before the second
    // child loaded and warmed up, which evicts its caches and pages; its first timed pass was slow.
    for (const turn of live()) {
      try {
        await turn.child!.repetition();
      } catch (error) {
        fail(turn, error);
      }
    }
    for (let round = 0; round < settings.repetitions; round++) {
      const players = live();
      if (players.length === 0 || (round > 0 && players.some((turn) => turn.timedMs >= settings.budgetMs))) break;
      for (const turn of round % 2 === 0 ? players : [...players].reverse()) {
        try {
          if (settings.settleWaitMs > 0) await waitForQuiet(SETTLED_CORES, settings.settleWaitMs, SETTLE_LOOK_MS);
          const repetition = await turn.child!.repetition();
          turn.timedMs += repetition.prefillMs + repetition.decodeMs;
        } catch (error) {
          fail(turn, error);
        }
      }
    }
    for (const turn of live()) {
      try {
        const result = await turn.child!.finish();
        turn.result = { ...result, repetitions: result.repetitions.slice(1) }; // without the settling pass
      } catch (error) {
        fail(turn, error);
      }
    }
  } finally {
    for (const turn of turns) turn.child?.kill();
  }
  return turns.map((turn) => {
    const base = baseRow(spec, file, turn.impl, settings);
    if (turn.failed || !turn.result) return { row: { ...base, skipped: turn.failed ?? 'no result' } };
    return rowFromResult(base, turn.result, file, settings, log);
  });
}

function rowFromResult(base: DecodeRow, result: ChildResult, file: ModelFile, settings: Settings, log: (line: string) => void): { row: DecodeRow; result: ChildResult } {
  const impl = base.impl;
  const row: DecodeRow = {
    ...base,
    threads: result.threads,
    load_ms: result.loadMs,
    peak_rss_bytes: result.peakRssBytes,
    rss_after_bytes: result.rssAfterBytes,
    kv_cache_bytes: result.kvCacheBytes > 0 ? result.kvCacheBytes : base.kv_cache_bytes, // 0: skipped before allocating one
    other_cores: result.otherCores,
    ...(result.firstTokens.length > 0 ? { first_tokens: result.firstTokens } : {}),
    ...(result.webgpu ? { dispatches_per_token: result.webgpu.dispatchesPerToken, submits_per_token: result.webgpu.submitsPerToken } : {}),
    ...(result.webgpu?.recordMsPerToken !== undefined ? { record_ms_per_token: roundSignificant(result.webgpu.recordMsPerToken) } : {}),
    ...(result.note ? { note: result.note } : {}),
  };
  if (result.skipped && result.probe) return { row: { ...row, ...probeSpeeds(result.probe), skipped: result.skipped }, result };
  if (result.skipped || result.repetitions.length === 0) return { row: { ...row, skipped: result.skipped ?? 'no timed pass' }, result };
  const prefill = result.repetitions.map((repetition) => repetition.prefillMs);
  const decode = result.repetitions.map((repetition) => repetition.decodeMs);
  const perToken = decode.map((ms) => ms / settings.generate);
  row.prefill_ms = roundSignificant(median(prefill));
  row.decode_ms = roundSignificant(median(decode));
  row.prefill_tokens_per_s = roundSignificant(settings.promptTokens / (median(prefill) / 1000));
  row.decode_tokens_per_s = roundSignificant(settings.generate / (median(decode) / 1000));
  row.median_ms = roundSignificant(median(perToken));
  row.min_ms = roundSignificant(minimum(perToken));
  row.runs = result.repetitions.length;
  // Decode streams every weight once per token: the memory bandwidth it reaches (none on the null device).
  if (impl !== 'cria-webgpu-host') row.gbps = roundSignificant(file.weightBytes / 1e9 / (median(perToken) / 1000));
  log(
    `${row.model} ${impl}: prefill ${row.prefill_tokens_per_s} tok/s, decode ${row.decode_tokens_per_s} tok/s, peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB, other load ${result.otherCores}`,
  );
  return { row, result };
}

/** A WebGPU row whose full run was too slow: its speed from the probe's one pass (a short prompt), and a note that says so. */
export function probeSpeeds(probe: NonNullable<ChildResult['probe']>): Pick<DecodeRow, 'prefill_tokens_per_s' | 'decode_tokens_per_s' | 'runs' | 'note'> {
  const { promptTokens, prefillMs, steps, decodeMs } = probe;
  return {
    prefill_tokens_per_s: roundSignificant(promptTokens / (prefillMs / 1000)),
    decode_tokens_per_s: roundSignificant(steps / (decodeMs / 1000)),
    runs: 1,
    note: `tok/s from the probe's one pass (${promptTokens}-token prefill, ${steps} decode steps), not the full run`,
  };
}

/**
 * Compares each row's first greedy tokens with llama.cpp's (llama.cpp's with Cria wasm's): same file,
 * same loop, so they agree until a near-tie between two logits falls the other way (llama.cpp
 * quantizes activations to Q8_0 for quantized weights; Cria keeps them f32). Informational only.
 */
export function checkSameTokens(rows: DecodeRow[]): void {
  for (const row of rows) {
    if (!row.first_tokens || row.skipped) continue;
    const peer = row.impl === 'llama.cpp' ? 'cria-wasm' : 'llama.cpp';
    const other = rows.find(
      (candidate) => candidate.model === row.model && candidate.impl === peer && candidate.long_context === row.long_context && candidate.first_tokens && !candidate.skipped,
    );
    if (!other) {
      row.check = 'ok (nothing to compare with)';
      continue;
    }
    const length = Math.min(row.first_tokens.length, other.first_tokens!.length);
    let same = 0;
    while (same < length && row.first_tokens[same] === other.first_tokens![same]) same++;
    row.check = same === length ? `same first ${length} tokens as ${other.impl}` : `first ${same} of ${length} tokens as ${other.impl}`;
  }
}

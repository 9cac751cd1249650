import { startLoadProbe } from '../measure/machine-load.js';

/**
 * What the suite asks of one child process and what it answers. Each (impl, model) runs in a fresh
 * Node so its peak RSS (`process.resourceUsage().maxRSS`) is its own: the weights, the KV cache, the
 * runtime's buffers, and Node itself (about 40 MB, the same for every impl).
 *
 * The parent drives the timed repetitions, so two children (Cria wasm and llama.cpp) can take turns
 * and both see the same minutes of a noisy host. The child gets its ChildRequest as argv[2], loads
 * and warms up, then talks in JSON lines: it writes `ready` (or `result` when it skipped the run),
 * and for each `run` line on stdin one `repetition`; on `finish` it writes `result` and exits.
 */
export type DecodeImpl = 'cria-wasm' | 'cria-webgpu' | 'cria-webgpu-host' | 'llama.cpp';

/**
 * `cria-webgpu-host` is Cria's WebGPU path on Dawn's null device: every WebGPU call is made and
 * validated, no GPU work runs (outputs are not computed). Its tokens/s is what the host side alone
 * allows, the ceiling on any GPU, measured without one; on SwiftShader the host's time is mixed with
 * the emulated GPU's on the same cores.
 */
export const DECODE_IMPLS: readonly DecodeImpl[] = ['cria-wasm', 'llama.cpp', 'cria-webgpu', 'cria-webgpu-host'];

/** The impls that run through WebGPU (each alone, after the CPU impls' interleaved turns). */
export const isWebGpuImpl = (impl: DecodeImpl): boolean => impl === 'cria-webgpu' || impl === 'cria-webgpu-host';

export interface ChildRequest {
  impl: DecodeImpl;
  modelPath: string;
  threads: number;
  /** Prompt ids, fed as ids (no tokenizer in the timed path). */
  prompt: number[];
  /** Decode steps after the prefill: each feeds the last token and picks the next greedily. */
  generate: number;
  /** KV cache positions to allocate (both impls get the same). */
  contextSize: number;
  /** Keys + values per position over all layers (layers · 2 · KV heads · head dim), for the KV cache bytes. */
  kvValuesPerPosition: number;
  /**
   * cria-webgpu only: skip the full run when a short probe predicts the prefill or the decode
   * would take longer than this (the row then says so, with the probe's own numbers).
   */
  maxPredictedMs?: number;
  /**
   * cria-webgpu only: no timed run, only the counters: a 1-token prefill and one decode step give
   * the dispatches and submits per generated token (the row says the speed was not measured).
   */
  countOnly?: boolean;
}

export interface Repetition {
  prefillMs: number;
  decodeMs: number;
}

/** Parent → child, one per stdin line. */
export type ParentCommand = 'run' | 'finish';

/** Child → parent, one JSON object per stdout line (other stdout lines are ignored). */
export type ChildMessage = { type: 'ready' } | ({ type: 'repetition' } & Repetition) | { type: 'result'; result: ChildResult };

export interface ChildResult {
  impl: DecodeImpl;
  /** The backend as it described itself ("wasm relaxed-simd, 2 threads", the GPU adapter, llama.cpp's build). */
  description: string;
  /** Threads the impl reports using (null where it cannot say, e.g. WebGPU). */
  threads: number | null;
  loadMs: number;
  repetitions: Repetition[];
  /** The greedy tokens of the last repetition (first 16), so a reader can see both impls ran the same loop (none from cria-webgpu-host, which computes nothing). */
  firstTokens: number[];
  /** KV cache bytes as this impl allocates them (Cria: its default type, f32 on wasm, f16 on WebGPU; llama.cpp f16, its context size). */
  kvCacheBytes: number;
  /** Peak resident set of the whole child process, bytes. */
  peakRssBytes: number;
  /** Resident set after the timed runs, before anything is freed: what the loaded model keeps. */
  rssAfterBytes: number;
  /**
   * Cores other processes kept busy during this child's own timed repetitions (its threads excluded),
   * averaged over their wall time; the idle turns, when the peer child runs, are not counted.
   */
  otherCores: number | null;
  /**
   * WebGPU: dispatches and submits per decode step (from the backend's stats), and the median CPU
   * ms from a step's start to its submit (recording it; see recordingClock in cria-runner.ts).
   */
  webgpu?: { dispatchesPerToken: number; submitsPerToken: number; prefillSubmits: number; recordMsPerToken?: number };
  /** Why the timed run did not happen (a probe predicted it over the cap); the probe numbers are in `note`. */
  skipped?: string;
  /** WebGPU whose full run was skipped: the probe's own timed pass (after its warm-up), a short measurement in place of none. */
  probe?: { promptTokens: number; prefillMs: number; steps: number; decodeMs: number };
  note?: string;
}

/** Peak RSS of the calling process in bytes (Node reports kilobytes). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Index of the largest value, lowest on ties (the kernels' argmax rule). */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** A loaded, warmed-up impl inside a child: one timed repetition per `run`, the summary on `finish`. */
export interface DecodeSession {
  run(): Promise<Repetition>;
  finish(): Promise<ChildResult>;
}

/**
 * Other processes' load over this child's own timed repetitions only: while the peer child takes its
 * turn, its threads would otherwise count as "other load" here.
 */
export class OwnTurnLoad {
  private wallMs = 0;
  private otherCoreMs = 0;

  async during<T>(work: () => Promise<T>): Promise<T> {
    const probe = startLoadProbe();
    const started = performance.now();
    const result = await work();
    const wall = performance.now() - started;
    this.otherCoreMs += probe.stop() * wall;
    this.wallMs += wall;
    return result;
  }

  /** Average cores, 2 decimals; null before any repetition. */
  cores(): number | null {
    return this.wallMs > 0 ? Math.round((this.otherCoreMs / this.wallMs) * 100) / 100 : null;
  }
}

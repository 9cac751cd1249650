/**
 * The shape of a results file (`bench/results/<suite>.json`): machine facts once, then one row per
 * (benchmark, shape, impl, threads). A row that could not run keeps its place with `skipped` set,
 * so a reader sees what was attempted instead of a silently shorter table.
 */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memory_gib: number;
  os: string;
  node: string;
  /** The adapter Cria's WebGPU backend got ("SwiftShader Device (Vulkan)…"), or why there was none. */
  webgpu: string;
  date: string;
  /**
   * 1-minute load average when the suite started and ended: on a shared machine a load near or above
   * the core count means other processes competed for the cores, and 2-thread rows suffer most.
   */
  load_average: { start: number; end: number };
  /** Versions of the peers as installed, e.g. {"@tensorflow/tfjs-backend-wasm": "4.22.0"}. */
  versions: Record<string, string>;
}

export interface ResultRow {
  suite: string;
  /** The table a row belongs to inside its suite: "matmul", "decode matvec", "attention decode", … */
  benchmark: string;
  impl: string;
  /** Threads the impl actually used (as reported by it where it can say), null where not applicable. */
  threads: number | null;
  /** Human-readable shape, e.g. "1024×1024×1024" (M×K×N) or "context 512". */
  shape: string;
  /** The weight / data type the row measures: "f32", "q8_0", "q4_0". */
  dtype: string;
  /** Median wall time of one call, 3 significant digits; null when skipped. */
  median_ms: number | null;
  /** Fastest call, 3 significant digits; null when skipped. */
  min_ms: number | null;
  /** Timed calls after warm-up. */
  runs: number;
  /** 2·M·N·K / median time (matmul), or the attention equivalent; null when not meaningful. */
  gflops: number | null;
  /** Bytes that must stream from memory (weights, or the KV cache) / median time; null for compute-bound rows. */
  gbps: number | null;
  /**
   * Cores kept busy by other processes, on average, over the timed rounds of this row's case that
   * were kept (all impls of a case are timed together). Near 0 on a quiet machine; near 1 on 2 cores
   * means 2-thread rows could not scale. Null when not measured (skipped rows, --quick).
   */
  other_cores: number | null;
  /** "ok", or why the output did not match the f64 check on sampled elements. */
  check: string | null;
  /** Why the row has no timing (missing backend, time budget spent, …); absent when it ran. */
  skipped?: string;
  /** What a reader needs to interpret this row only (e.g. it was cut short by a budget). */
  note?: string;
}

/** A row's measurement fields before anything is measured: suites spread it, then fill in what they time. */
export const UNMEASURED = {
  median_ms: null,
  min_ms: null,
  runs: 0,
  gflops: null,
  gbps: null,
  other_cores: null,
  check: null,
} as const satisfies Partial<ResultRow>;

/** One implementation as it ran: what build, which threads, or why it could not start. */
export interface ImplInfo {
  impl: string;
  threads: number | null;
  description: string;
}

export interface ResultFile {
  suite: string;
  quick: boolean;
  machine: MachineInfo;
  impls: ImplInfo[];
  /** How the numbers were taken: warm-up, sample counts, budgets, configs. */
  method: Record<string, unknown>;
  rows: ResultRow[];
  /** Seconds the whole suite took. */
  elapsed_s: number;
}

import type { StepPolicy } from './step-timing.js';
import type { TrainShape } from './train-shapes.js';

/**
 * One implementation of a training step on one shape. `step` runs forward + backward + the
 * optimizer update and resolves once the updated weights exist (the loss read back), so the time
 * around it is the time a user waits per step. Impls that time themselves in another process
 * (PyTorch) give their samples in `selfTimed` instead of a `step`.
 */
export interface TrainContender {
  impl: string;
  /** Threads the impl reports using; null where it cannot say (WebGPU). */
  threads: number | null;
  /** What ran: build, BLAS, adapter, and any difference from the common architecture. */
  note: string;
  step?: () => Promise<number>;
  selfTimed?: SelfTimedSamples;
  /** Bytes the impl holds on its backend right now, where the backend can say (Cria wasm). */
  backendBytes?: () => number | undefined;
  dispose(): void;
}

export interface SelfTimedSamples {
  stepMs: number[];
  losses: number[];
  /** Cores other processes used during each step. */
  otherCores: number[];
}

/** Starts an impl on a shape, or throws `Unavailable` with the reason its row carries. */
export interface TrainContenderFactory {
  impl: string;
  /** Shapes it can run; the others get no row (e.g. tfjs has no LoRA row). */
  covers(shape: TrainShape): boolean;
  start(shape: TrainShape, context: StartContext): Promise<TrainContender>;
  /** Overrides of the suite's step policy for an impl whose steps take minutes (fewer timed steps). */
  policy?: Partial<StepPolicy>;
}

export interface StartContext {
  quick: boolean;
  log: (line: string) => void;
}

/** A reason an impl cannot run a shape: written into its row as `skipped`, never estimated. */
export class Unavailable extends Error {
  constructor(
    reason: string,
    readonly threads: number | null = null,
    /** The WebGPU adapter that was found, when the impl got that far. */
    readonly adapter?: string,
  ) {
    super(reason);
    this.name = 'Unavailable';
  }
}

export const errorLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/** Random token ids and targets in [0, vocab), the same seed for every impl built in JS. */
export function randomTokens(shape: TrainShape, seed = 2): { ids: Int32Array; targets: Int32Array } {
  let state = seed >>> 0;
  const next = () => {
    // xorshift32: reproducible, and the data's values do not change a step's cost
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % shape.vocab;
  };
  const count = shape.batch * shape.sequence;
  return { ids: Int32Array.from({ length: count }, next), targets: Int32Array.from({ length: count }, next) };
}

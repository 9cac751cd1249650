import type { Budget } from '../measure/budget.js';
import type { SamplingPolicy } from '../measure/sampler.js';
import { formatSignificant } from '../measure/statistics.js';
import type { WeightType } from './kernel-cases.js';

/**
 * Decides, before a slow impl is called, whether the call fits: a synchronous 30-second kernel
 * cannot be interrupted, so the suite predicts its time from the impl's own throughput on the
 * previous (smaller) case and writes a skipped row instead when it would break the caps.
 */
interface Observation {
  benchmark: string;
  dtype: WeightType;
  shape: string;
  flopsPerMs: number;
}

export interface Prediction {
  milliseconds: number;
  basis: string;
}

export class ThroughputHistory {
  readonly #observations = new Map<string, Observation[]>();

  record(contenderKey: string, observation: Observation): void {
    const list = this.#observations.get(contenderKey) ?? [];
    list.push(observation);
    this.#observations.set(contenderKey, list);
  }

  /** From the same benchmark and dtype if seen, else the contender's slowest rate so far; undefined when it never ran. */
  predict(contenderKey: string, benchmark: string, dtype: WeightType, flops: number): Prediction | undefined {
    const list = this.#observations.get(contenderKey);
    if (!list || list.length === 0) return undefined;
    const same = list.filter((entry) => entry.benchmark === benchmark && entry.dtype === dtype).at(-1);
    const basis = same ?? list.reduce((slowest, entry) => (entry.flopsPerMs < slowest.flopsPerMs ? entry : slowest));
    const gflops = basis.flopsPerMs / 1e6;
    return {
      milliseconds: flops / basis.flopsPerMs,
      basis: `its ${formatSignificant(gflops)} GFLOP/s on ${basis.benchmark} ${basis.shape}${basis.dtype === 'f32' ? '' : ` ${basis.dtype}`}`,
    };
  }
}

export interface Caps {
  /** No single call may be predicted longer than this. */
  maxCallMs: number;
  policy: SamplingPolicy;
}

/** The skip reason, or undefined when the call fits the per-call cap and the contender's budget. */
export function skipReason(prediction: Prediction | undefined, budget: Budget | undefined, caps: Caps): string | undefined {
  if (budget?.exhausted) return budget.describe();
  if (!prediction) return undefined;
  const seconds = (ms: number) => `${formatSignificant(ms / 1000)} s`;
  if (prediction.milliseconds > caps.maxCallMs) {
    return `predicted ≈ ${seconds(prediction.milliseconds)} per call from ${prediction.basis}, over the ${seconds(caps.maxCallMs)} per-call cap`;
  }
  if (budget) {
    const { policy } = caps;
    const calls = prediction.milliseconds > policy.slowCallMs ? 1 + policy.slowMinRuns : policy.warmupCalls + policy.minRuns;
    const needed = calls * prediction.milliseconds;
    if (needed > budget.remainingMs) {
      return `would need ≈ ${seconds(needed)} (${calls} calls at ≈ ${seconds(prediction.milliseconds)}, from ${prediction.basis}); only ${seconds(budget.remainingMs)} left of the ${budget.label} time budget of ${seconds(budget.limitMs)}`;
    }
  }
  return undefined;
}

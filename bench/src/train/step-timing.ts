import { startLoadProbe } from '../measure/machine-load.js';
import { median, minimum } from '../measure/statistics.js';

/**
 * Timing of training steps that take seconds each: the round-robin sampler of the kernels suite
 * fits sub-second calls, so here each impl runs alone: warm-up steps, then timed steps with the
 * load of other processes recorded per step. Steps during which others held more than
 * `loadedCores` are timed again (up to `maxSteps` in all) and left out of the median while enough
 * clean steps exist, so a neighbour's test run does not end up in the number.
 */
export interface StepPolicy {
  warmupSteps: number;
  /** Timed steps always taken (also the clean steps wanted). */
  minSteps: number;
  /** Never more timed steps than this. */
  maxSteps: number;
  /** Past minSteps, no new step starts once the timed steps have used this long. */
  targetMs: number;
  /** A step timed while other processes used more cores than this counts as loaded. */
  loadedCores: number;
}

export interface StepSamples {
  /** Every timed step's milliseconds, in order. */
  times: number[];
  /** Other processes' cores during each timed step. */
  loads: number[];
  losses: number[];
  warmupMs: number;
}

export interface StepSummary {
  medianMs: number;
  minMs: number;
  /** Steps the median is over. */
  runs: number;
  /** Mean load of other processes over those steps. */
  otherCores: number;
  /** Loaded steps left out of the median. */
  discarded: number;
}

export async function timeSteps(step: () => Promise<number>, policy: StepPolicy, clock: () => number = () => performance.now()): Promise<StepSamples> {
  const losses: number[] = [];
  const warmupStart = clock();
  for (let index = 0; index < policy.warmupSteps; index++) losses.push(await step());
  const warmupMs = clock() - warmupStart;
  const times: number[] = [];
  const loads: number[] = [];
  const started = clock();
  const clean = () => loads.filter((load) => load <= policy.loadedCores).length;
  while (times.length < policy.maxSteps) {
    if (times.length >= policy.minSteps) {
      if (clean() >= policy.minSteps) break;
      if (clock() - started + times[times.length - 1]! > policy.targetMs) break;
    }
    const probe = startLoadProbe();
    const begin = clock();
    losses.push(await step());
    times.push(clock() - begin);
    loads.push(probe.stop());
  }
  return { times, loads, losses, warmupMs };
}

/** The median over the clean steps when there are at least `minSteps` of them, else over all. */
export function summariseSteps(samples: Pick<StepSamples, 'times' | 'loads'>, policy: Pick<StepPolicy, 'minSteps' | 'loadedCores'>): StepSummary {
  const indices = samples.times.map((_, index) => index);
  const clean = indices.filter((index) => samples.loads[index]! <= policy.loadedCores);
  const used = clean.length >= Math.min(policy.minSteps, samples.times.length) && clean.length > 0 ? clean : indices;
  const times = used.map((index) => samples.times[index]!);
  const otherCores = used.reduce((sum, index) => sum + samples.loads[index]!, 0) / used.length;
  return {
    medianMs: median(times),
    minMs: minimum(times),
    runs: times.length,
    otherCores: Math.round(otherCores * 100) / 100,
    discarded: samples.times.length - times.length,
  };
}

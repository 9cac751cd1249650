import type { Budget } from './budget.js';

/**
 * Interleaved timing: every subject of one case is warmed up, then timed one call at a time in
 * rotating round-robin order, so a burst of noise from the other engineers' processes on a shared
 * 2-core machine lands on all subjects instead of on whichever happened to run then.
 */
export interface TimedSubject {
  /** For progress logs. */
  label: string;
  /** One call, resolved only once the work finished (backend.sync(), output received). */
  call(): Promise<void>;
  /** Charged with every call's time when present; the subject stops once it is spent. */
  budget?: Budget;
}

export interface SamplingPolicy {
  /** Calls before timing (the first one compiles pipelines, grows memory, packs weights). */
  warmupCalls: number;
  /** Timed calls per subject when calls are fast. */
  minRuns: number;
  maxRuns: number;
  /** Time per subject per case that the runs may fill (beyond minRuns). */
  targetMs: number;
  /** A warm-up call slower than this marks the subject slow: one warm-up and `slowMinRuns` runs. */
  slowCallMs: number;
  slowMinRuns: number;
}

export interface SubjectSamples {
  /** Milliseconds of each timed call, in order. */
  times: number[];
  /** The error that stopped the subject, if one did. */
  error?: string;
  /** Why it stopped before its planned runs (a budget), if it did. */
  cutShort?: string;
}

export type Clock = () => number;

export async function sampleInterleaved(
  subjects: readonly TimedSubject[],
  policy: SamplingPolicy,
  clock: Clock = () => performance.now(),
): Promise<SubjectSamples[]> {
  const results: SubjectSamples[] = subjects.map(() => ({ times: [] }));
  const plannedRuns = subjects.map(() => 0);

  const timeOne = async (index: number): Promise<number | undefined> => {
    const subject = subjects[index]!;
    const result = results[index]!;
    if (subject.budget?.exhausted) {
      result.cutShort = subject.budget.describe();
      return undefined;
    }
    const start = clock();
    try {
      await subject.call();
    } catch (error) {
      result.error = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      return undefined;
    }
    const elapsed = clock() - start;
    subject.budget?.charge(elapsed);
    return elapsed;
  };

  for (let index = 0; index < subjects.length; index++) {
    let last: number | undefined;
    for (let call = 0; call < policy.warmupCalls; call++) {
      last = await timeOne(index);
      if (last === undefined || last > policy.slowCallMs) break;
    }
    if (last === undefined) continue;
    const minRuns = last > policy.slowCallMs ? policy.slowMinRuns : policy.minRuns;
    plannedRuns[index] = Math.min(policy.maxRuns, Math.max(minRuns, Math.floor(policy.targetMs / Math.max(last, 1e-3))));
  }

  for (let round = 0; ; round++) {
    let ranAny = false;
    for (let offset = 0; offset < subjects.length; offset++) {
      const index = (round + offset) % subjects.length;
      const result = results[index]!;
      if (result.error || result.cutShort || result.times.length >= plannedRuns[index]!) continue;
      const elapsed = await timeOne(index);
      if (elapsed !== undefined) result.times.push(elapsed);
      ranAny = true;
    }
    if (!ranAny) break;
  }
  return results;
}

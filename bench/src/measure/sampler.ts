import type { Budget } from './budget.js';

/**
 * Interleaved timing: every subject of one case is warmed up, then timed one call at a time in
 * rotating round-robin order, so a burst of noise from other processes on a shared 2-core machine
 * lands on all subjects instead of on whichever happened to run then. With a load guard, windows of
 * rounds during which other processes held the machine are thrown away and timed again (within a
 * limit), so a neighbour's test run does not end up in the medians.
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

/** Watches other processes' load over windows of rounds (see machine-load.ts for the real one). */
export interface LoadGuard {
  /** Starts a window; `othersCores()` is the average number of cores other processes used since. */
  watch(): { othersCores(): number };
  /** A window in which others used more than this many cores is redone. */
  thresholdCores: number;
  /** Shortest window worth judging: the OS counts CPU time in 10 ms ticks. */
  windowMs: number;
  /** Time per case that may be thrown away; past it, loaded windows are kept (and reported). */
  maxDiscardedMs: number;
}

export interface SubjectSamples {
  /** Milliseconds of each timed call, in order. */
  times: number[];
  /** The error that stopped the subject, if one did. */
  error?: string;
  /** Why it stopped before its planned runs (a budget), if it did. */
  cutShort?: string;
}

export interface CaseSamples {
  subjects: SubjectSamples[];
  /** Other processes' average load over the kept windows; null without a guard or timed rounds. */
  otherCores: number | null;
  /** Milliseconds of rounds thrown away because the machine was busy. */
  discardedMs: number;
}

export type Clock = () => number;

/** The samples of each subject, without load guarding (what suites that need no guard call). */
export async function sampleInterleaved(
  subjects: readonly TimedSubject[],
  policy: SamplingPolicy,
  clock: Clock = () => performance.now(),
): Promise<SubjectSamples[]> {
  return (await sampleCase(subjects, policy, clock)).subjects;
}

/** Samples one case's subjects interleaved, redoing windows the guard judges loaded. */
export async function sampleCase(
  subjects: readonly TimedSubject[],
  policy: SamplingPolicy,
  clock: Clock = () => performance.now(),
  guard?: LoadGuard,
): Promise<CaseSamples> {
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

  let discardedMs = 0;
  let keptMs = 0;
  let keptLoad = 0;
  let window = guard?.watch();
  let windowStart = clock();
  let windowLengths = results.map((result) => result.times.length);

  const closeWindow = () => {
    if (!guard || !window) return;
    const elapsed = clock() - windowStart;
    const load = window.othersCores();
    if (load > guard.thresholdCores && discardedMs + elapsed <= guard.maxDiscardedMs) {
      results.forEach((result, index) => (result.times.length = windowLengths[index]!));
      discardedMs += elapsed;
    } else if (elapsed > 0) {
      keptMs += elapsed;
      keptLoad += load * elapsed;
    }
    window = guard.watch();
    windowStart = clock();
    windowLengths = results.map((result) => result.times.length);
  };

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
    const done = results.every((result, index) => result.error || result.cutShort || result.times.length >= plannedRuns[index]!);
    if (guard && (done || clock() - windowStart >= guard.windowMs)) closeWindow();
  }
  return { subjects: results, otherCores: guard && keptMs > 0 ? keptLoad / keptMs : null, discardedMs };
}

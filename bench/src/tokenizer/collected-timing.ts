import v8 from 'node:v8';
import vm from 'node:vm';
import type { SamplingPolicy } from '../measure/sampler.js';

/**
 * Interleaved timing with a full garbage collection before every timed call. The tokenizers share
 * one process, and some keep hundreds of MB of tables (transformers.js) while the others allocate
 * per call: without a collection between calls, whoever runs when a major GC comes due pays for
 * the whole heap. Collecting first makes each call start from the same clean heap, which is what
 * a process with one tokenizer would see. Otherwise as `sampleInterleaved`: warm-up calls, then
 * rotating round-robin, slow subjects get fewer runs.
 */
export interface CollectedSubject {
  label: string;
  call(): void;
}

export interface CollectedSamples {
  times: number[];
  error?: string;
}

let collect: (() => void) | null = null;

/** `gc()` without `--expose-gc` on the command line: the flag can be set at run time, then read from a fresh context. */
export function garbageCollector(): () => void {
  if (collect === null) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  return collect;
}

export function timeCollected(subjects: readonly CollectedSubject[], policy: SamplingPolicy): CollectedSamples[] {
  const gc = garbageCollector();
  const results: CollectedSamples[] = subjects.map(() => ({ times: [] }));
  const timeOne = (index: number): number | undefined => {
    gc();
    const started = performance.now();
    try {
      subjects[index]!.call();
    } catch (error) {
      results[index]!.error = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      return undefined;
    }
    return performance.now() - started;
  };
  const planned = subjects.map((_, index) => {
    let last: number | undefined;
    for (let call = 0; call < policy.warmupCalls; call++) {
      last = timeOne(index);
      if (last === undefined || last > policy.slowCallMs) break;
    }
    if (last === undefined) return 0;
    const minRuns = last > policy.slowCallMs ? policy.slowMinRuns : policy.minRuns;
    return Math.min(policy.maxRuns, Math.max(minRuns, Math.floor(policy.targetMs / Math.max(last, 1e-3))));
  });
  for (let round = 0; ; round++) {
    let ranAny = false;
    for (let offset = 0; offset < subjects.length; offset++) {
      const index = (round + offset) % subjects.length;
      const result = results[index]!;
      if (result.error || result.times.length >= planned[index]!) continue;
      const elapsed = timeOne(index);
      if (elapsed !== undefined) result.times.push(elapsed);
      ranAny = true;
    }
    if (!ranAny) break;
  }
  return results;
}

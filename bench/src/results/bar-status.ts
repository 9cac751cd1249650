/**
 * How every suite judges a bar (a measured ratio against the target), so the four result
 * tables read the same way: PASS / MISS, NOT MEASURED when a row it needs is missing or skipped, and
 * INCONCLUSIVE when the ratio was timed while other processes held a core's worth of the machine.
 */
export type BarStatus = 'PASS' | 'MISS' | 'INCONCLUSIVE' | 'NOT MEASURED';

/** Other processes' load worth mentioning next to a ratio (cores, averaged over what was timed). */
export const NOTABLE_LOAD = 0.25;

/**
 * Past this load (cores, on the 2-core bench machine) a ratio that needs both cores says more about
 * who suffers most from a stolen core than about the impls: llama.cpp's spinning barriers collapse
 * when one of its threads is descheduled (10× slower decode at 1.1 other cores), PyTorch's nanoGPT
 * step went 2.8 s → 9.5 s between 0.64 and 1.0 other cores, and a 2-thread scaling ratio has no
 * second core to scale onto. Such ratios are shown, not judged.
 */
export const INCONCLUSIVE_LOAD = 0.5;

export interface Judgement {
  /** True for "≥ target" bars (speed), false for "≤ target" (memory). */
  higherIsBetter: boolean;
  /** The most other processes used meanwhile (cores), when the suite sampled it. */
  load?: number;
  /** Whether heavy load makes this ratio INCONCLUSIVE (ratios that need every core). */
  loadSensitive?: boolean;
}

export interface Verdict {
  status: Exclude<BarStatus, 'NOT MEASURED'>;
  /**
   * What the ratio's detail adds about other processes: nothing under NOTABLE_LOAD, the load above
   * it, and for an INCONCLUSIVE ratio also how it would be judged on a quiet machine.
   */
  note: string;
}

/** PASS / MISS against `target`, or INCONCLUSIVE (see INCONCLUSIVE_LOAD), with the load note. */
export function verdict(ratio: number, target: number, { higherIsBetter, load = 0, loadSensitive = false }: Judgement): Verdict {
  const quiet = (higherIsBetter ? ratio >= target : ratio <= target) ? 'PASS' : 'MISS';
  const status = loadSensitive && load > INCONCLUSIVE_LOAD ? 'INCONCLUSIVE' : quiet;
  if (load < NOTABLE_LOAD) return { status, note: '' };
  const used = `other processes used up to ${load.toFixed(2)} cores meanwhile`;
  return { status, note: status === 'INCONCLUSIVE' ? `; INCONCLUSIVE: ${used} (would be ${quiet})` : `; ${used}` };
}

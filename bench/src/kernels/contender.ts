import type { Budget } from '../measure/budget.js';
import type { CaseData } from './case-data.js';
import type { KernelCase, WeightType } from './kernel-cases.js';

/**
 * One implementation under test at one thread count: a Cria backend, a peer library, or the naive
 * JS loops. The suite asks each contender which cases it covers, prepares them (uploads weights,
 * builds sessions) outside the timed region, then times `call` interleaved with the others.
 */
export interface PreparedCall {
  /** One kernel call, resolved once its result is complete (sync / output received). */
  call(): Promise<void>;
  /** The result of the last call ([M, N] or [T, nHeads, D]), for the correctness check. */
  output(): Promise<Float32Array>;
  /** Frees what `prepare` allocated. */
  release(): void;
}

export interface Contender {
  impl: string;
  /** The thread count the impl really runs with (as it reports it), null where not applicable. */
  threads: number | null;
  /** Set when the contender could not start: every row it covers is written as skipped with this reason. */
  unavailable?: string;
  /** Shown with each of its rows (e.g. which SIMD build a peer uses). */
  note?: string;
  /** Shared wall-clock allowance for slow impls. */
  budget?: Budget;
  /** Whether a row exists for this case and weight type (peers have no Q8_0; tfjs has no attention op). */
  covers(kernelCase: KernelCase, dtype: WeightType): boolean;
  prepare(kernelCase: KernelCase, data: CaseData, dtype: WeightType): Promise<PreparedCall>;
  dispose(): Promise<void> | void;
}

/** Starts one or more contenders; failures come back as `unavailable` contenders, never as throws. */
export type ContenderFactory = () => Promise<Contender[]>;

/** A contender that could not start, keeping its rows visible as skipped. */
export function unavailableContender(
  impl: string,
  threads: number | null,
  reason: string,
  covers: Contender['covers'],
): Contender {
  return {
    impl,
    threads,
    unavailable: reason,
    covers,
    prepare: () => Promise.reject(new Error(reason)),
    dispose: () => {},
  };
}

export const coversMatmulF32: Contender['covers'] = (kernelCase, dtype) => kernelCase.kind === 'matmul' && dtype === 'f32';
export const coversEverything: Contender['covers'] = () => true;

/** First line of an error, for a skipped row's reason. */
export function errorLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}

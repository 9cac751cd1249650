import { OP_NAMES, type Backend, type OpName } from '@cria/kernels';
import { OP_CASES, Random, runOnBackend, scoreCase } from '@cria/kernels/testing';
import { nextFrame } from './dom.js';

/**
 * The browser twin of kernels/src/backend-ops.test.ts: every op, on random shapes, on every backend,
 * scored against the reference. Each case is generated once and run on all backends, so a column
 * that fails where the others pass points at that backend, not at the case.
 */
export interface CheckBackend {
  id: string;
  label: string;
  backend: Backend;
}

export interface CheckCell {
  backendId: string;
  op: OpName;
  /** Cases run so far. */
  done: number;
  passed: number;
  /** Largest normalised error seen (mismatch count for argmax). */
  worstError: number;
  /** The tolerance of the case with the worst error. */
  tolerance: number;
  /** One line per failing case: label, error, tolerance, or the exception. */
  failures: string[];
}

export interface CheckOptions {
  reference: Backend;
  backends: CheckBackend[];
  casesPerOp: number;
  seed: number;
  /** Called after every case on every backend, with the cell that changed. */
  onProgress: (cell: CheckCell) => void;
}

/** FNV-1a, to derive one random stream per op from the run's seed. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
}

export async function runKernelCheck(options: CheckOptions): Promise<CheckCell[]> {
  const { reference, backends, casesPerOp, seed, onProgress } = options;
  const cells: CheckCell[] = [];
  for (const op of OP_NAMES) {
    const random = new Random(seed ^ hash(op));
    const row = backends.map((entry): CheckCell => ({ backendId: entry.id, op, done: 0, passed: 0, worstError: 0, tolerance: 0, failures: [] }));
    cells.push(...row);
    for (let i = 0; i < casesPerOp; i++) {
      const testCase = OP_CASES[op](random);
      const expected = await runOnBackend(reference, testCase);
      for (const [index, entry] of backends.entries()) {
        const cell = row[index]!;
        try {
          const result = await scoreCase(entry.backend, expected, testCase);
          if (!(result.error <= cell.worstError)) {
            cell.worstError = result.error;
            cell.tolerance = testCase.tolerance;
          }
          if (result.passed) cell.passed++;
          else cell.failures.push(`${testCase.label}: error ${result.error.toExponential(2)} > ${testCase.tolerance}`);
        } catch (error) {
          cell.worstError = Infinity;
          cell.failures.push(`${testCase.label}: ${messageOf(error)}`);
        }
        cell.done++;
        onProgress(cell);
        await nextFrame();
      }
    }
  }
  return cells;
}

/** A fresh seed for each run, unless the URL pins one to replay a failure. */
export function freshSeed(): number {
  const values = new Uint32Array(1);
  crypto.getRandomValues(values);
  return values[0]!;
}

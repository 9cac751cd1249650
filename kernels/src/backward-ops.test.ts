import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import { Random, testSeed } from './testing/random.js';
import { compareOutputs, finiteDifferenceError, FINITE_DIFFERENCE_TOLERANCE, runBackwardOnBackend, TRAINING_CASES } from './testing/run-backward-case.js';
import { TEST_BACKENDS } from './testing/test-backends.js';
import { supportsTraining, TRAINING_OP_NAMES } from './training-ops.js';

/**
 * The training-op harness: (1) the reference backend's gradients against central finite
 * differences of the f64 forward, (2) every training-capable backend against the reference on
 * random shapes. CRIA_TEST_SEED replays a run; CRIA_CASES_PER_OP changes the count.
 */
const CASES_PER_OP = Number(process.env.CRIA_CASES_PER_OP ?? 20);
const FINITE_DIFFERENCE_CASES = Math.max(1, Math.round(CASES_PER_OP / 2));
const seed = testSeed();
const reference = createReferenceBackend();

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const GRADIENT_OPS = TRAINING_OP_NAMES.filter((op) => TRAINING_CASES[op](new Random(1)).objective);

describe('reference training ops against finite differences', () => {
  beforeAll(() => console.log(`[finite differences] seed ${seed}; replay with CRIA_TEST_SEED=${seed}`));

  it.each(GRADIENT_OPS)(`%s: analytic gradients match f64 central differences on ${FINITE_DIFFERENCE_CASES} random shapes`, async (op) => {
    const random = new Random(seed ^ hash(`finite-difference/${op}`));
    const failures: string[] = [];
    for (let i = 0; i < FINITE_DIFFERENCE_CASES; i++) {
      const testCase = TRAINING_CASES[op](random);
      const analytic = await runBackwardOnBackend(reference, testCase, true);
      const { error, output } = finiteDifferenceError(testCase, analytic, random);
      if (!(error <= FINITE_DIFFERENCE_TOLERANCE)) failures.push(`${testCase.label}: ${output} error ${error.toExponential(2)}`);
    }
    expect(failures, `${op}, seed ${seed}`).toEqual([]);
  });
});

describe.each(TEST_BACKENDS)('$label training ops', ({ label, create }) => {
  let backend: Backend | undefined;

  beforeAll(async () => {
    backend = await create();
    const support = supportsTraining(backend) ? 'implements TrainingOps' : 'does not implement TrainingOps: skipped';
    console.log(`[${label}] ${support} (seed ${seed}; replay with CRIA_TEST_SEED=${seed})`);
  });

  afterAll(() => backend?.dispose());

  it.for(TRAINING_OP_NAMES)(`%s matches the reference on ${CASES_PER_OP} random shapes`, async (op, context) => {
    if (!backend || !supportsTraining(backend)) return context.skip();
    const random = new Random(seed ^ hash(`${label}/${op}`));
    const failures: string[] = [];
    for (let i = 0; i < CASES_PER_OP; i++) {
      const testCase = TRAINING_CASES[op](random);
      const expected = await runBackwardOnBackend(reference, testCase);
      const actual = await runBackwardOnBackend(backend, testCase);
      const { error, output } = compareOutputs(actual, expected, testCase);
      if (!(error <= testCase.tolerance)) failures.push(`${testCase.label}: ${output} error ${error.toExponential(2)} > ${testCase.tolerance}`);
    }
    expect(failures, `${label} ${op}, seed ${seed}`).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { OP_NAMES } from './ops.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import { OP_CASES } from './testing/op-cases.js';
import { Random, testSeed } from './testing/random.js';
import { runOnBackend, scoreCase } from './testing/run-case.js';
import { TEST_BACKENDS } from './testing/test-backends.js';

const CASES_PER_OP = Number(process.env.CRIA_CASES_PER_OP ?? 20);
const seed = testSeed();
const reference = createReferenceBackend();

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

describe.each(TEST_BACKENDS)('$label backend', ({ label, create }) => {
  let backend: Backend;

  beforeAll(async () => {
    backend = await create();
    console.log(`[${label}] ${backend.info.description} (seed ${seed}; replay with CRIA_TEST_SEED=${seed})`);
  });

  afterAll(() => backend?.dispose());

  it.each(OP_NAMES)(`%s matches the reference on ${CASES_PER_OP} random shapes`, async (op) => {
    const random = new Random(seed ^ hash(`${label}/${op}`));
    const failures: string[] = [];
    for (let i = 0; i < CASES_PER_OP; i++) {
      const testCase = OP_CASES[op](random);
      const expected = await runOnBackend(reference, testCase);
      const result = await scoreCase(backend, expected, testCase);
      if (!result.passed) failures.push(`${testCase.label}: error ${result.error.toExponential(2)} > ${testCase.tolerance}`);
    }
    expect(failures, `${label} ${op}, seed ${seed}`).toEqual([]);
  });
});

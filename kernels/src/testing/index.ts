// The op harness as a public subpath (`@cria/kernels/testing`), so the demo page can run the same
// cases in a browser. Node-only pieces (test-backends.ts) stay out.
export { mismatches, normalisedError } from './error-metrics.js';
export { OP_CASES, type OpCase, type OpCaseGenerator, type TensorSpec } from './op-cases.js';
export { Random } from './random.js';
export { runOnBackend, scoreCase, type CaseResult } from './run-case.js';
export type { BackwardCase, BackwardCaseGenerator, OutputSpec } from './backward-case.js';
export { TRAINING_CASES, compareOutputs, finiteDifferenceError, runBackwardOnBackend, type CaseOutputs } from './run-backward-case.js';

import type { Backend } from '../backend.js';

/**
 * The backends the op harness runs every case on, besides the reference it compares against.
 * A backend that cannot start here (no WebGPU adapter, no SIMD) fails its tests: it is never skipped.
 */
export interface TestBackend {
  label: string;
  create(): Promise<Backend>;
}

export const TEST_BACKENDS: TestBackend[] = [];

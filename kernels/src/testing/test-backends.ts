import type { Backend } from '../backend.js';
import { createWasmBackend } from '../wasm/create-wasm-backend.js';
import { createWebGPUBackend } from '../webgpu/webgpu-backend.js';

/**
 * The backends the op harness runs every case on, besides the reference it compares against.
 * A backend that cannot start here (no WebGPU adapter, no SIMD) fails its tests: it is never skipped.
 */
export interface TestBackend {
  label: string;
  create(): Promise<Backend>;
}

export const TEST_BACKENDS: TestBackend[] = [
  // On a machine without a GPU this is SwiftShader (VK_ICD_FILENAMES, set by vitest.config.ts).
  { label: 'webgpu', create: () => createWebGPUBackend() },
  { label: 'wasm simd (1 thread)', create: () => createWasmBackend({ variant: 'simd', threads: 1 }) },
  { label: 'wasm relaxed-simd (1 thread)', create: () => createWasmBackend({ variant: 'relaxed', threads: 1 }) },
  // parallelThreshold 0 sends even the smallest case through the pool, to test every partition edge.
  { label: 'wasm relaxed-simd (2 threads)', create: () => createWasmBackend({ variant: 'relaxed', threads: 2, parallelThreshold: 0 }) },
];

import type { BackendInfo } from '../backend.js';
import { buildName, compileKernels } from './binaries.js';
import { hardwareConcurrency, sharedMemoryAvailable } from './environment.js';
import type { KernelExports } from './kernel-exports.js';
import { ThreadPool } from './thread-pool.js';
import { detectVariantSupport, selectVariant, type WasmVariantOption } from './variant.js';
import { WasmBackend } from './wasm-backend.js';
import { WasmMemory } from './wasm-memory.js';

export interface WasmBackendOptions {
  /**
   * Which kernel build to run: 'relaxed' (relaxed SIMD: fused multiply-add and int8 dot products),
   * 'simd' (plain 128-bit SIMD, every engine since 2021), or 'auto' (default: relaxed when available).
   */
  variant?: WasmVariantOption;
  /**
   * Threads to split large ops across (default: min(cores, 4)). Needs shared memory — Node, or a
   * cross-origin-isolated page (COOP/COEP headers) in browsers; elsewhere the backend uses 1 thread.
   */
  threads?: number;
  /**
   * Smallest op, in multiply-adds (elements for elementwise ops), that is split across threads;
   * smaller ones run on the calling thread, where a hand-off would cost more than it saves.
   * 0 sends every op to the pool (the tests use that to exercise the partitioning).
   */
  parallelThreshold?: number;
}

/** Above this many multiply-adds an op is worth a trip to the workers (~20 µs of work). */
const DEFAULT_PARALLEL_THRESHOLD = 1 << 17;
const DEFAULT_MAXIMUM_THREADS = 4;

/**
 * Creates the WebAssembly SIMD backend.
 *
 * @example
 * const backend = await createWasmBackend({ threads: 2 });
 * const a = backend.tensor('f32', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
 * const b = backend.tensor('f32', [3, 2], new Float32Array([1, 0, 0, 1, 1, 1]));
 * const out = backend.tensor('f32', [2, 2]);
 * backend.matmul({ out, a, b, transposeB: false });
 * console.log(await backend.read(out)); // Float32Array [4, 5, 10, 11]
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const variant = selectVariant(options.variant ?? 'auto', detectVariantSupport());
  const shared = sharedMemoryAvailable();
  const requested = options.threads ?? Math.min(await hardwareConcurrency(), DEFAULT_MAXIMUM_THREADS);
  const threads = shared ? Math.max(1, Math.floor(requested)) : 1;
  const sharedMemory = threads > 1;
  const module = await compileKernels(buildName(variant, sharedMemory));
  const memory = new WasmMemory(sharedMemory);
  const instance = await WebAssembly.instantiate(module, { env: { memory: memory.memory } });
  const kernels = instance.exports as unknown as KernelExports;
  const pool = sharedMemory ? await ThreadPool.start(threads, module, memory.memory, kernels) : undefined;
  const variantName = variant === 'relaxed' ? 'relaxed-simd' : 'simd';
  const info: BackendInfo = {
    name: 'wasm',
    description: `wasm ${variantName}, ${threads} thread${threads === 1 ? '' : 's'}`,
    details: {
      variant,
      threads,
      sharedMemory,
      ...(threads < requested ? { threadsFallback: 'no shared memory (SharedArrayBuffer needs cross-origin isolation)' } : {}),
    },
  };
  return new WasmBackend({
    info,
    memory,
    kernels,
    pool,
    parallelThreshold: options.parallelThreshold ?? DEFAULT_PARALLEL_THRESHOLD,
  });
}

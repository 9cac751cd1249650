import type { Backend, BackendName } from './backend.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import { createWasmBackend, type WasmBackendOptions } from './wasm/create-wasm-backend.js';
import { createWebGPUBackend, type WebGPUBackendOptions } from './webgpu/webgpu-backend.js';

export type BackendChoice = 'auto' | BackendName;

export interface CreateBackendOptions {
  /** Defaults to 'auto'. */
  backend?: BackendChoice;
  wasm?: WasmBackendOptions;
  webgpu?: WebGPUBackendOptions;
  /**
   * With 'auto', WebGPU on a software adapter (SwiftShader, a CPU emulation) is slower than wasm SIMD,
   * so it is passed over unless this is true.
   */
  allowSoftwareAdapter?: boolean;
  /** Told why 'auto' did not pick WebGPU. */
  onFallback?: (reason: string) => void;
}

function isSoftwareAdapter(backend: Backend): boolean {
  return Boolean(backend.info.details.isFallbackAdapter) || /swiftshader/i.test(backend.info.description);
}

/**
 * Creates a backend by name, or with 'auto' the fastest one available: WebGPU when a hardware
 * adapter exists, else wasm (SIMD, threads where shared memory exists). The chosen backend names
 * itself in `backend.info.description`.
 */
export async function createBackend(options: CreateBackendOptions = {}): Promise<Backend> {
  const choice = options.backend ?? 'auto';
  if (choice === 'reference') return createReferenceBackend();
  if (choice === 'wasm') return createWasmBackend(options.wasm);
  if (choice === 'webgpu') return createWebGPUBackend(options.webgpu);

  try {
    const webgpu = await createWebGPUBackend(options.webgpu);
    if (!isSoftwareAdapter(webgpu) || options.allowSoftwareAdapter) return webgpu;
    webgpu.dispose();
    options.onFallback?.(`${webgpu.info.description}; using wasm instead`);
  } catch (error) {
    options.onFallback?.(`WebGPU unavailable (${(error as Error).message.split('\n')[0]}); using wasm`);
  }
  return createWasmBackend(options.wasm);
}

import { createReferenceBackend, createWasmBackend, createWebGPUBackend, type Backend } from '@cria/kernels';
import type { EnvironmentReport } from './environment.js';

/**
 * The backends the demo compares: the reference (the oracle), wasm on one thread, wasm on every
 * core through shared memory, and WebGPU. Each either starts or says why it cannot run here.
 */
export type DemoBackendId = 'reference' | 'wasm' | 'wasm-threads' | 'webgpu';

export type DemoBackendState =
  | { status: 'starting' }
  | { status: 'ready'; backend: Backend }
  | { status: 'unavailable'; reason: string };

export interface DemoBackend {
  id: DemoBackendId;
  label: string;
  state: DemoBackendState;
}

interface Plan {
  id: DemoBackendId;
  label: string;
  /** Why this backend cannot start, known before trying; undefined = try. */
  blocker?: string;
  create: () => Promise<Backend>;
}

function plans(environment: EnvironmentReport): Plan[] {
  // At least two workers, so that the shared-memory path is exercised even on a one-core machine.
  const threads = Math.max(2, environment.threads.hardwareConcurrency);
  return [
    { id: 'reference', label: 'reference', create: async () => createReferenceBackend() },
    {
      id: 'wasm',
      label: 'wasm',
      blocker: environment.wasm.simd ? undefined : 'WebAssembly SIMD is not supported by this browser (Chrome 91+, Firefox 89+, Safari 16.4+)',
      create: () => createWasmBackend({ variant: 'auto', threads: 1 }),
    },
    {
      id: 'wasm-threads',
      label: `wasm ×${threads} threads`,
      blocker: !environment.wasm.simd
        ? 'WebAssembly SIMD is not supported by this browser'
        : !environment.threads.crossOriginIsolated
          ? 'the page is not crossOriginIsolated, so there is no SharedArrayBuffer: serve it with COOP: same-origin and COEP: require-corp (npm run demo does)'
          : undefined,
      // parallelThreshold 0 sends every op through the worker pool, small check shapes included, so
      // this column checks the partitioning; every benchmark shape is above the default threshold anyway.
      create: () => createWasmBackend({ variant: 'auto', threads, parallelThreshold: 0 }),
    },
    {
      id: 'webgpu',
      label: 'webgpu',
      blocker: environment.webgpu.available ? undefined : environment.webgpu.reason,
      create: () => createWebGPUBackend(),
    },
  ];
}

/** Starts every backend one after the other, reporting each state change through `onChange`. */
export async function startBackends(environment: EnvironmentReport, onChange: (backends: DemoBackend[]) => void): Promise<DemoBackend[]> {
  const list = plans(environment);
  const backends: DemoBackend[] = list.map(({ id, label, blocker }) => ({
    id,
    label,
    state: blocker ? { status: 'unavailable', reason: blocker } : { status: 'starting' },
  }));
  onChange(backends);
  for (const [index, plan] of list.entries()) {
    const entry = backends[index]!;
    if (entry.state.status !== 'starting') continue;
    try {
      entry.state = { status: 'ready', backend: await plan.create() };
    } catch (error) {
      entry.state = { status: 'unavailable', reason: `failed to start: ${(error as Error).message}` };
    }
    onChange(backends);
  }
  return backends;
}

export function readyBackends(backends: DemoBackend[]): { id: DemoBackendId; label: string; backend: Backend }[] {
  return backends.flatMap((entry) => (entry.state.status === 'ready' ? [{ id: entry.id, label: entry.label, backend: entry.state.backend }] : []));
}

/**
 * What the host offers the wasm backend: shared memory (multi-threading needs SharedArrayBuffer,
 * which browsers expose only to cross-origin-isolated pages, i.e. COOP/COEP headers), workers,
 * and a core count. Read at call time so tests can stub globals.
 */
export const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  if (!isNode && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return false;
  return isNode || typeof Worker !== 'undefined';
}

export async function hardwareConcurrency(): Promise<number> {
  if (isNode) {
    const os = await importNode<typeof import('node:os')>('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not; Node's and workers may). */
export function canBlock(): boolean {
  return isNode || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
}

/**
 * Imports a Node built-in through a non-literal specifier, so bundlers targeting browsers leave it
 * alone instead of failing to resolve it; it only runs in Node.
 */
export function importNode<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

import { CriaKernelError } from '../errors.js';
import { canBlock, importNode, isNode } from './environment.js';
import { KERNEL_NAMES, type KernelArguments, type KernelExports, type KernelName } from './kernel-exports.js';
import {
  ARGUMENTS_OFFSET,
  BROWSER_WORKER_SOURCE,
  CONTROL,
  CONTROL_BYTES,
  EXIT_KERNEL,
  MAXIMUM_ARGUMENTS,
  NODE_WORKER_SOURCE,
} from './worker-source.js';

/**
 * `threads − 1` workers plus the calling thread, each with its own instance of the kernels over
 * one shared memory. `run` publishes a kernel and its arguments in a shared control block, wakes
 * the workers, computes share 0 itself and waits until every share is done: ops stay synchronous,
 * so the backend's ordering guarantees hold without a queue.
 */
interface PoolWorker {
  terminate(): void;
}

const SPIN_BEFORE_SLEEP = 100000;

/**
 * One Int32 per JS realm: the id of the pool that last started an op. Spinning workers of the other
 * pools see it change and go to sleep at once instead of spinning out their budget on a core the
 * active pool needs (measured: with two 2-thread backends alternating ops, each op ran up to 6×
 * slower). Created on first use: pools exist only where SharedArrayBuffer does.
 */
let activePool: Int32Array | undefined;
let lastPoolId = 0;

export class ThreadPool {
  readonly #state: Int32Array;
  readonly #arguments: Float64Array;
  #disposed = false;

  private constructor(
    readonly threads: number,
    private readonly kernels: KernelExports,
    control: SharedArrayBuffer,
    private readonly workers: PoolWorker[],
    private readonly id: number,
    private readonly active: Int32Array,
  ) {
    this.#state = new Int32Array(control, 0, ARGUMENTS_OFFSET / 4);
    this.#arguments = new Float64Array(control, ARGUMENTS_OFFSET, MAXIMUM_ARGUMENTS);
  }

  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: KernelExports): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    activePool ??= new Int32Array(new SharedArrayBuffer(4));
    const id = ++lastPoolId;
    const workers: PoolWorker[] = [];
    try {
      for (let thread = 1; thread < threads; thread++) {
        workers.push(await startWorker({ module, memory, control, thread, kernels: KERNEL_NAMES, activity: activePool.buffer as SharedArrayBuffer, pool: id }));
      }
    } catch (error) {
      for (const worker of workers) worker.terminate();
      throw error;
    }
    return new ThreadPool(threads, kernels, control, workers, id, activePool);
  }

  run<K extends KernelName>(kernel: K, ...args: KernelArguments<K>): void {
    if (this.#disposed) throw new CriaKernelError('wasm backend: the thread pool was disposed', 'create a new backend');
    const state = this.#state;
    this.#arguments.set(args as number[]);
    state[CONTROL.KERNEL] = KERNEL_NAMES.indexOf(kernel);
    state[CONTROL.THREADS] = this.threads;
    state[CONTROL.FAILED] = 0;
    Atomics.store(this.active, 0, this.id);
    Atomics.store(state, CONTROL.PENDING, this.threads - 1);
    Atomics.add(state, CONTROL.GENERATION, 1);
    Atomics.notify(state, CONTROL.GENERATION);
    let failure: unknown;
    try {
      (this.kernels[kernel] as (...values: number[]) => void)(0, this.threads, ...(args as number[]));
    } catch (error) {
      failure = error;
    }
    this.#waitForWorkers();
    if (failure) throw failure;
    if (state[CONTROL.FAILED]) {
      throw new CriaKernelError(`wasm backend: kernel ${kernel} failed on a worker thread`, 'rerun with threads: 1 to see the error');
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#state[CONTROL.KERNEL] = EXIT_KERNEL;
    Atomics.add(this.#state, CONTROL.GENERATION, 1);
    Atomics.notify(this.#state, CONTROL.GENERATION);
    for (const worker of this.workers) worker.terminate();
  }

  #waitForWorkers(): void {
    const state = this.#state;
    let spins = 0;
    const blocking = canBlock();
    for (;;) {
      const pending = Atomics.load(state, CONTROL.PENDING);
      if (pending === 0) return;
      // A browser's main thread may not block: it keeps spinning (the shares are balanced, so briefly).
      if (blocking && ++spins > SPIN_BEFORE_SLEEP) Atomics.wait(state, CONTROL.PENDING, pending, 10);
    }
  }
}

interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  thread: number;
  kernels: readonly string[];
  /** The realm's active-pool word and this pool's id in it. */
  activity: SharedArrayBuffer;
  pool: number;
}

async function startWorker(init: WorkerInit): Promise<PoolWorker> {
  if (isNode) {
    const { Worker } = await importNode<typeof import('node:worker_threads')>('node:worker_threads');
    const worker = new Worker(NODE_WORKER_SOURCE, { eval: true });
    worker.unref(); // an undisposed backend must not keep the process alive
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.postMessage(init);
    });
    return { terminate: () => void worker.terminate() };
  }
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  try {
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => reject(new CriaKernelError(`wasm backend: a worker failed to start: ${event.message}`));
      worker.postMessage(init);
    });
  } finally {
    URL.revokeObjectURL(url);
  }
  return { terminate: () => worker.terminate() };
}

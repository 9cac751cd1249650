/**
 * The body of a pool worker, as source text: Node runs it with `new Worker(code, { eval: true })`,
 * browsers from a Blob URL. Keeping it a string (instead of a separate file) means it needs no
 * bundler support and no URL resolution: it loads the same way from the TypeScript sources under
 * vitest, from dist/index.js, and from an app's browser bundle.
 *
 * The worker receives the compiled module, the shared memory, a small shared control block and the
 * process's active-pool word,
 * instantiates its own instance (no data segments, so nothing is re-copied into the shared memory),
 * then loops: wait for the generation counter to move, run kernel `state[KERNEL]` on its share,
 * decrement `state[PENDING]` and notify. It never allocates inside wasm.
 */

/** Int32 slots of the control block. */
export const CONTROL = {
  GENERATION: 0,
  KERNEL: 1,
  PENDING: 2,
  THREADS: 3,
  FAILED: 4,
} as const;
/** Byte offset of the Float64 kernel arguments in the control block, and how many fit. */
export const ARGUMENTS_OFFSET = 64;
export const MAXIMUM_ARGUMENTS = 24;
export const CONTROL_BYTES = ARGUMENTS_OFFSET + MAXIMUM_ARGUMENTS * 8;
/**
 * Spin iterations (~12 ms on the dev box) before a worker sleeps in Atomics.wait. Between two pooled
 * ops the calling thread runs small ops alone, and between tokens the host samples; 20000 spins
 * (~0.25 ms) let the worker fall asleep 7.7 times per TinyLlama decode step, each a futex wake-up
 * later, and the calling thread waited 5.8 ms per token for workers; with this many, no sleeps and
 * 3.6 ms (measured). After a burst of ops a worker burns at most this long before it sleeps, and
 * not even that once another pool of the process starts an op (see ThreadPool's active pool word):
 * two backends taking turns (a teacher and a student, a benchmark's contenders) would otherwise
 * each lose a core to the other's spinning worker after every op.
 */
export const SPIN_ITERATIONS = 1000000;
/** `state[KERNEL]` value that tells workers to exit. */
export const EXIT_KERNEL = -1;

/**
 * Every argument slot, passed as is: a wasm function ignores arguments past its parameters, and
 * naming the slots allocates nothing, where spreading a subarray of the used ones built a view, an
 * iterator and an array per op (~1 KB; ~230 KB per SmolLM2 decode step, a young-generation GC
 * every ~9 tokens in the worker).
 */
const EVERY_ARGUMENT = Array.from({ length: MAXIMUM_ARGUMENTS }, (_, i) => `args[${i}]`).join(', ');

const WORKER_BODY = `
function start(message, reply) {
  const { module, memory, control, thread, kernels, activity, pool } = message;
  const active = new Int32Array(activity);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const functions = kernels.map((name) => instance.exports[name]);
  const state = new Int32Array(control, 0, ${ARGUMENTS_OFFSET / 4});
  const args = new Float64Array(control, ${ARGUMENTS_OFFSET}, ${MAXIMUM_ARGUMENTS});
  // Read the generation before saying ready: the first job may be published the moment 'ready' arrives.
  let seen = Atomics.load(state, ${CONTROL.GENERATION});
  reply('ready');
  for (;;) {
    let spins = 0;
    while (Atomics.load(state, ${CONTROL.GENERATION}) === seen) {
      // Sleep after the spin budget, or as soon as another pool of this process is the active one.
      if (++spins > ${SPIN_ITERATIONS} || Atomics.load(active, 0) !== pool) {
        Atomics.wait(state, ${CONTROL.GENERATION}, seen);
        spins = 0;
      }
    }
    seen = Atomics.load(state, ${CONTROL.GENERATION});
    const kernel = state[${CONTROL.KERNEL}];
    if (kernel === ${EXIT_KERNEL}) return;
    const threads = state[${CONTROL.THREADS}];
    if (thread < threads) {
      try {
        functions[kernel](thread, threads, ${EVERY_ARGUMENT});
      } catch (error) {
        Atomics.store(state, ${CONTROL.FAILED}, 1);
      }
      if (Atomics.sub(state, ${CONTROL.PENDING}, 1) === 1) Atomics.notify(state, ${CONTROL.PENDING});
    }
  }
}
`;

export const NODE_WORKER_SOURCE = `${WORKER_BODY}
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (message) => start(message, (reply) => parentPort.postMessage(reply)));
`;

export const BROWSER_WORKER_SOURCE = `${WORKER_BODY}
self.onmessage = (event) => {
  self.onmessage = null;
  start(event.data, (reply) => self.postMessage(reply));
};
`;

import type { MatmulData } from './case-data.js';
import { coversMatmulF32, errorLine, unavailableContender, type Contender, type PreparedCall } from './contender.js';

/**
 * TensorFlow.js's WebAssembly backend (XNNPACK kernels), the wasm library a web developer reaches
 * for first. It is asked for 2 threads; the row records what `getThreadsCount()` says it got, since
 * in Node its multi-threaded build cannot start and it quietly runs on one.
 */
const IMPL = 'tfjs-wasm';
const WANTED_THREADS = 2;

export async function startTfjsContenders(): Promise<Contender[]> {
  let tf: typeof import('@tensorflow/tfjs-core');
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    tf = await import('@tensorflow/tfjs-core');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(WANTED_THREADS);
    const ready = await tf.setBackend('wasm');
    if (!ready) throw new Error('tf.setBackend("wasm") returned false');
    await tf.ready();
  } catch (error) {
    return [unavailableContender(IMPL, 1, `could not start: ${errorLine(error)}`, coversMatmulF32)];
  }

  const threads = wasm.getThreadsCount();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const note = `XNNPACK, ${simd ? 'SIMD' : 'scalar'} build (no relaxed SIMD); setThreadsCount(${WANTED_THREADS}) → getThreadsCount() = ${threads}`;

  const contender: Contender = {
    impl: IMPL,
    threads,
    note,
    covers: coversMatmulF32,
    async prepare(kernelCase, data): Promise<PreparedCall> {
      if (kernelCase.kind !== 'matmul') throw new Error('tfjs-wasm covers matmul only');
      const { M, K, N, transposeB } = kernelCase;
      const matmul = data as MatmulData;
      const a = tf.tensor2d(matmul.a, [M, K]);
      const b = tf.tensor2d(matmul.b, transposeB ? [N, K] : [K, N]);
      return {
        // The wasm backend runs the kernel inside matMul (no queue), so the call is complete on return.
        call: async () => tf.matMul(a, b, false, transposeB).dispose(),
        output: async () => {
          const result = tf.matMul(a, b, false, transposeB);
          const values = result.dataSync() as Float32Array;
          result.dispose();
          return values;
        },
        release: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
    dispose: () => {},
  };

  if (threads >= WANTED_THREADS) return [contender];
  const reason = `setThreadsCount(${WANTED_THREADS}) left getThreadsCount() at ${threads}: WASM_HAS_MULTITHREAD_SUPPORT is ${String(multithread)} here, so the single-threaded build runs`;
  return [contender, unavailableContender(IMPL, WANTED_THREADS, reason, coversMatmulF32)];
}

import type { MatmulData } from './case-data.js';
import { coversMatmulF32, errorLine, unavailableContender, type Contender, type PreparedCall } from './contender.js';
import { encodeMatmulModel } from './onnx-model.js';

/**
 * ONNX Runtime's native CPU build (MLAS kernels) through onnxruntime-node: the ceiling a Node user
 * can reach without WebAssembly. One session per case and thread count, built from a one-node model.
 *
 * Spinning is turned off: by default idle pool threads busy-wait after each run, which on a
 * 2-core machine would steal the core from whichever impl is timed next in the interleaved rounds.
 */
const IMPL = 'onnxruntime-node';
const THREAD_COUNTS = [1, 2] as const;

export async function startOnnxContenders(): Promise<Contender[]> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    return THREAD_COUNTS.map((threads) => unavailableContender(IMPL, threads, `could not load: ${errorLine(error)}`, coversMatmulF32));
  }

  return THREAD_COUNTS.map(
    (threads): Contender => ({
      impl: IMPL,
      threads,
      note: `CPU execution provider, intraOpNumThreads ${threads}, spinning off, weights as a constant initializer`,
      covers: coversMatmulF32,
      async prepare(kernelCase, data): Promise<PreparedCall> {
        if (kernelCase.kind !== 'matmul') throw new Error('onnxruntime-node covers matmul only');
        const { M, K, N, transposeB } = kernelCase;
        const matmul = data as MatmulData;
        const model = encodeMatmulModel({ M, K, N, transposeB, weights: matmul.b });
        const session = await ort.InferenceSession.create(model, {
          executionProviders: ['cpu'],
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
        });
        const feeds = { a: new ort.Tensor('float32', matmul.a, [M, K]) };
        let last: Float32Array = new Float32Array(0);
        return {
          call: async () => {
            const result = await session.run(feeds);
            last = result['y']!.data as Float32Array;
          },
          output: async () => last,
          release: () => void session.release(),
        };
      },
      dispose: () => {},
    }),
  );
}

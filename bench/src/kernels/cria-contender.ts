import * as kernels from '@cria/kernels';
import type { Backend, Tensor } from '@cria/kernels';
import { Budget } from '../measure/budget.js';
import type { AttentionData, MatmulData } from './case-data.js';
import type { MatmulWeightType } from './kernel-cases.js';
import { coversEverything, errorLine, unavailableContender, type Contender, type ContenderFactory, type PreparedCall } from './contender.js';

/**
 * Cria's backends as contenders, loaded from the built package (`@cria/kernels` → dist/index.js)
 * because that is what users run. Each call is the op plus `backend.sync()`: the time until the
 * result is usable, WebGPU's submit and wait included.
 */
export function criaContender(impl: string, backend: Backend, threads: number | null, budget?: Budget): Contender {
  return {
    impl,
    threads,
    note: backend.info.description,
    budget,
    covers: coversEverything,
    async prepare(kernelCase, data, dtype): Promise<PreparedCall> {
      const tensors: Tensor[] = [];
      const track = (tensor: Tensor) => (tensors.push(tensor), tensor);
      const release = () => tensors.forEach((tensor) => backend.free(tensor));
      try {
        let run: () => void;
        let out: Tensor;
        if (kernelCase.kind === 'matmul') {
          const { M, K, N, transposeB } = kernelCase;
          const matmul = data as MatmulData;
          const a = track(backend.tensor('f32', [M, K], matmul.a));
          const weightType = dtype as MatmulWeightType; // matmul cases list only these
          const weights = weightType === 'f32' ? matmul.b : matmul.quantized(weightType);
          const b = track(backend.tensor(weightType, transposeB ? [N, K] : [K, N], weights));
          out = track(backend.tensor('f32', [M, N]));
          run = () => backend.matmul({ out, a, b, transposeB });
        } else {
          const { queries, context, heads, kvHeads, headDim } = kernelCase;
          const attention = data as AttentionData;
          const q = track(backend.tensor('f32', [1, queries, heads, headDim], attention.q));
          // An f16 cache holds the same values rounded (how the runtime's copy fills one).
          const cache = (values: Float32Array) => (dtype === 'f16' ? kernels.toF16(values) : values);
          const k = track(backend.tensor(dtype, [1, context, kvHeads, headDim], cache(attention.k)));
          const v = track(backend.tensor(dtype, [1, context, kvHeads, headDim], cache(attention.v)));
          out = track(backend.tensor('f32', [1, queries, heads, headDim]));
          run = () => backend.attention({ out, q, k, v, kvLength: context, scale: 1 / Math.sqrt(headDim) });
        }
        await backend.sync(); // uploads finish outside the timed region
        return {
          call: async () => {
            run();
            await backend.sync();
          },
          output: async () => (await backend.read(out)) as Float32Array,
          release,
        };
      } catch (error) {
        release();
        throw error;
      }
    },
    dispose: () => backend.dispose(),
  };
}

type BackendFactory = (options?: Record<string, unknown>) => Promise<Backend>;

/** The package's factory by name, or undefined in a build that lacks it (its rows are then skipped, not dropped). */
function factory(name: string): BackendFactory | undefined {
  const candidate = (kernels as unknown as Record<string, unknown>)[name];
  return typeof candidate === 'function' ? (candidate as BackendFactory) : undefined;
}

const WASM_VARIANTS = ['simd', 'relaxed'] as const;
const WASM_THREADS = [1, 2] as const;

/** Cria wasm: both SIMD builds at 1 and 2 threads, each its own backend instance. */
export function criaWasmFactories(): ContenderFactory[] {
  return WASM_VARIANTS.flatMap((variant) =>
    WASM_THREADS.map((threads) => async (): Promise<Contender[]> => {
      const impl = `cria-wasm-${variant}`;
      const create = factory('createWasmBackend');
      if (!create) return [unavailableContender(impl, threads, '@cria/kernels does not export createWasmBackend (build it, or the wasm backend is not written yet)', coversEverything)];
      try {
        const backend = await create({ variant, threads });
        const reported = backend.info.details['threads'];
        const reportedVariant = backend.info.details['variant'];
        if (reportedVariant !== undefined && reportedVariant !== variant) {
          backend.dispose();
          return [unavailableContender(impl, threads, `asked for the ${variant} build, the backend chose "${String(reportedVariant)}"`, coversEverything)];
        }
        return [criaContender(impl, backend, typeof reported === 'number' ? reported : threads)];
      } catch (error) {
        return [unavailableContender(impl, threads, `createWasmBackend failed: ${errorLine(error)}`, coversEverything)];
      }
    }),
  );
}

/** Cria WebGPU on whatever adapter is present, under a time budget (SwiftShader runs WGSL on the CPU). */
export function criaWebGPUFactory(budgetMs: number): ContenderFactory {
  return async () => {
    const impl = 'cria-webgpu';
    const create = factory('createWebGPUBackend');
    if (!create) return [unavailableContender(impl, null, '@cria/kernels does not export createWebGPUBackend (build it, or the WebGPU backend is not written yet)', coversEverything)];
    try {
      const backend = await create();
      return [criaContender(impl, backend, null, new Budget('cria-webgpu', budgetMs))];
    } catch (error) {
      return [unavailableContender(impl, null, `createWebGPUBackend failed: ${errorLine(error)}`, coversEverything)];
    }
  };
}

/** The reference backend: the smoke test's stand-in for Cria (plain TS, no wasm or GPU needed). */
export function criaReferenceFactory(): ContenderFactory {
  return async () => [criaContender('cria-reference', kernels.createReferenceBackend(), 1)];
}

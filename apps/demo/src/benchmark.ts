import { quantizeQ8_0, type Backend, type DType, type HostArray } from '@cria/kernels';
import { Random } from '@cria/kernels/testing';
import { nextFrame } from './dom.js';

/**
 * Matmul throughput per backend. Each measurement times one run to size a batch that fills the
 * time budget, then enqueues the whole batch before one sync: that is how a model drives the
 * backend (WebGPU submits once per read-back), so per-op launch cost counts, as it does in decoding.
 */
export interface BenchmarkShape {
  label: string;
  M: number;
  K: number;
  N: number;
  /** Weight dtype; f32 also runs non-transposed (square shapes), other types need [N, K]. */
  weight: DType;
  transposeB: boolean;
}

const square = (size: number): BenchmarkShape => ({ label: `${size}³`, M: size, K: size, N: size, weight: 'f32', transposeB: false });
// SmolLM-135M's MLP up-projection: hidden 576 → 1536, one token (decode).
const decode = (weight: DType): BenchmarkShape => ({ label: `decode 1×576×1536 ${weight}`, M: 1, K: 576, N: 1536, weight, transposeB: true });

export const BENCHMARK_SHAPES: BenchmarkShape[] = [square(128), square(256), square(512), decode('f32'), decode('q8_0')];
/** Small enough for software WebGPU (SwiftShader) in the end-to-end test. */
export const QUICK_BENCHMARK_SHAPES: BenchmarkShape[] = [square(64), square(128), decode('f32')];

export interface BenchmarkBackend {
  id: string;
  label: string;
  backend: Backend;
}

export type Measurement =
  | { backendId: string; shape: string; ok: true; gflops: number; millisecondsPerRun: number; runs: number }
  | { backendId: string; shape: string; ok: false; error: string };

export interface BenchmarkOptions {
  backends: BenchmarkBackend[];
  shapes: BenchmarkShape[];
  /** Time spent measuring each (shape, backend) pair, after one warm-up run. */
  budgetMilliseconds: number;
  onMeasurement: (measurement: Measurement) => void;
}

/** The most runs in one batch: keeps a fast backend from queueing thousands of GPU dispatches. */
const MAX_RUNS = 100;

function weightData(shape: BenchmarkShape, values: Float32Array): HostArray {
  if (shape.weight === 'q8_0') return quantizeQ8_0(values);
  if (shape.weight !== 'f32') throw new Error(`benchmark: weight dtype ${shape.weight} is not wired up`);
  return values;
}

async function measure(backend: Backend, shape: BenchmarkShape, budgetMilliseconds: number): Promise<{ milliseconds: number; runs: number }> {
  const { M, K, N } = shape;
  const random = new Random(M * 7919 + K * 31 + N);
  const a = backend.tensor('f32', [M, K], random.floats(M * K)); // [M, K]
  const bShape = shape.transposeB ? [N, K] : [K, N];
  const b = backend.tensor(shape.weight, bShape, weightData(shape, random.floats(K * N))); // [N, K] or [K, N]
  const out = backend.tensor('f32', [M, N]); // [M, N]
  const run = () => backend.matmul({ out, a, b, transposeB: shape.transposeB });
  try {
    // Warm-up: pipeline compilation, buffer pools, worker start-up.
    run();
    await backend.read(out);
    let start = performance.now();
    run();
    await backend.sync();
    const single = performance.now() - start;
    const runs = Math.max(1, Math.min(MAX_RUNS, Math.floor(budgetMilliseconds / Math.max(single, 1e-3))));
    if (runs === 1) return { milliseconds: single, runs: 1 };
    start = performance.now();
    for (let i = 0; i < runs; i++) run();
    await backend.sync();
    return { milliseconds: (performance.now() - start) / runs, runs };
  } finally {
    for (const tensor of [a, b, out]) backend.free(tensor);
  }
}

export async function runBenchmark(options: BenchmarkOptions): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (const shape of options.shapes) {
    for (const entry of options.backends) {
      let measurement: Measurement;
      try {
        const { milliseconds, runs } = await measure(entry.backend, shape, options.budgetMilliseconds);
        const flops = 2 * shape.M * shape.N * shape.K;
        measurement = { backendId: entry.id, shape: shape.label, ok: true, gflops: flops / (milliseconds * 1e6), millisecondsPerRun: milliseconds, runs };
      } catch (error) {
        measurement = { backendId: entry.id, shape: shape.label, ok: false, error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
      }
      measurements.push(measurement);
      options.onMeasurement(measurement);
      await nextFrame();
    }
  }
  return measurements;
}

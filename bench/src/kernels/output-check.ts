import type { CaseData } from './case-data.js';
import type { KernelCase, MatmulWeightType, WeightType } from './kernel-cases.js';

/**
 * A benchmark of a wrong kernel is worthless, so each impl's output is checked once per case
 * against f64 sums at a few sampled positions (cheap even at 4096², unlike a full reference).
 * Scored like the op harness: normalised error Σ(x − ref)² / Σ ref².
 */
const F32_TOLERANCE = 1e-8;
/** Q8_0 / Q4_0 kernels may quantize activations to int8 as llama.cpp does (the op harness's bound); an f16 KV cache rounds keys and values. */
const QUANTIZED_TOLERANCE = 5e-4;
const MATMUL_SAMPLES = 16;
const ATTENTION_SAMPLES = 4;

interface Sample {
  index: number;
  expected: number;
}

function matmulSamples(kernelCase: KernelCase & { kind: 'matmul' }, data: CaseData & { kind: 'matmul' }, dtype: MatmulWeightType): Sample[] {
  const { M, K, N, transposeB } = kernelCase;
  const weights = data.effectiveWeights(dtype);
  const samples: Sample[] = [];
  for (let sample = 0; sample < Math.min(MATMUL_SAMPLES, M * N); sample++) {
    // Spread over rows and columns, always including the last element (tail handling).
    const row = sample === 0 ? M - 1 : (sample * 7919) % M;
    const column = sample === 0 ? N - 1 : (sample * 104729) % N;
    let sum = 0;
    for (let k = 0; k < K; k++) sum += data.a[row * K + k]! * weights[transposeB ? column * K + k : k * N + column]!;
    samples.push({ index: row * N + column, expected: sum });
  }
  return samples;
}

function attentionSamples(kernelCase: KernelCase & { kind: 'attention' }, data: CaseData & { kind: 'attention' }): Sample[] {
  const { queries, context, heads, kvHeads, headDim } = kernelCase;
  const scale = 1 / Math.sqrt(headDim);
  const group = heads / kvHeads;
  const samples: Sample[] = [];
  for (let sample = 0; sample < ATTENTION_SAMPLES; sample++) {
    const query = sample === 0 ? queries - 1 : (sample * 7919) % queries;
    const head = (sample * 3) % heads;
    const kvHead = Math.floor(head / group);
    const visible = context - queries + query + 1;
    const scores = new Float64Array(visible);
    let max = -Infinity;
    for (let key = 0; key < visible; key++) {
      let dot = 0;
      for (let d = 0; d < headDim; d++) {
        dot += data.q[(query * heads + head) * headDim + d]! * data.k[(key * kvHeads + kvHead) * headDim + d]!;
      }
      scores[key] = dot * scale;
      max = Math.max(max, scores[key]!);
    }
    let total = 0;
    for (let key = 0; key < visible; key++) total += scores[key] = Math.exp(scores[key]! - max);
    for (let d = 0; d < headDim; d++) {
      let sum = 0;
      for (let key = 0; key < visible; key++) sum += scores[key]! * data.v[(key * kvHeads + kvHead) * headDim + d]!;
      samples.push({ index: (query * heads + head) * headDim + d, expected: sum / total });
    }
  }
  return samples;
}

/** Normalised error of `output` at the sampled positions. */
export function sampledError(kernelCase: KernelCase, data: CaseData, dtype: WeightType, output: Float32Array): number {
  const samples =
    kernelCase.kind === 'matmul' && data.kind === 'matmul'
      ? matmulSamples(kernelCase, data, dtype as MatmulWeightType) // matmul cases list only these
      : kernelCase.kind === 'attention' && data.kind === 'attention'
        ? attentionSamples(kernelCase, data)
        : [];
  if (samples.length === 0) throw new TypeError(`case data of kind ${data.kind} does not match a ${kernelCase.kind} case`);
  let errorSquared = 0;
  let referenceSquared = 0;
  for (const { index, expected } of samples) {
    const got = output[index];
    if (got === undefined || !Number.isFinite(got)) return Infinity;
    errorSquared += (got - expected) ** 2;
    referenceSquared += expected ** 2;
  }
  return errorSquared / Math.max(referenceSquared, Number.MIN_VALUE);
}

/** "ok", or the error and the bound it broke — written into the row's `check` column. */
export function checkOutput(kernelCase: KernelCase, data: CaseData, dtype: WeightType, output: Float32Array): string {
  const tolerance = dtype === 'f32' ? F32_TOLERANCE : QUANTIZED_TOLERANCE;
  const error = sampledError(kernelCase, data, dtype, output);
  return error <= tolerance ? 'ok' : `MISMATCH: normalised error ${error.toPrecision(2)} > ${tolerance}`;
}

import { dequantizeQ4_0, dequantizeQ8_0, quantizeQ4_0, quantizeQ8_0 } from '@cria/kernels';
import type { AttentionCase, KernelCase, MatmulCase, MatmulWeightType } from './kernel-cases.js';

/**
 * The inputs of one case, made once and handed to every impl, so all of them multiply the same
 * numbers. Quantized weights are GGUF blocks made from the f32 weights by Cria's quantizers.
 */
export interface MatmulData {
  kind: 'matmul';
  a: Float32Array; // [M, K]
  /** [K, N], or [N, K] when the case has transposeB. */
  b: Float32Array;
  /** GGUF Q8_0 / Q4_0 blocks of b ([N, K] rows), made on first use. */
  quantized(dtype: 'q8_0' | 'q4_0'): Uint8Array;
  /** The weights each dtype really holds (dequantized blocks for the quantized ones): the check's truth. */
  effectiveWeights(dtype: MatmulWeightType): Float32Array;
}

export interface AttentionData {
  kind: 'attention';
  q: Float32Array; // [1, T, nHeads, D]
  k: Float32Array; // [1, S, nKvHeads, D]
  v: Float32Array; // [1, S, nKvHeads, D]
}

export type CaseData = MatmulData | AttentionData;

/** mulberry32: a seeded generator, so reruns time the same numbers. */
function uniformFill(length: number, seed: number, amplitude = 1): Float32Array {
  const values = new Float32Array(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    values[index] = ((((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296) * 2 - 1) * amplitude;
  }
  return values;
}

function matmulData(kernelCase: MatmulCase): MatmulData {
  const { M, K, N } = kernelCase;
  const a = uniformFill(M * K, 1);
  const b = uniformFill(K * N, 2);
  const blocks = new Map<MatmulWeightType, Uint8Array>();
  const dequantized = new Map<MatmulWeightType, Float32Array>();
  const quantized = (dtype: 'q8_0' | 'q4_0'): Uint8Array => {
    if (!kernelCase.transposeB) throw new RangeError('quantized weights need the [N, K] layout (transposeB): blocks run along K');
    let bytes = blocks.get(dtype);
    if (!bytes) {
      bytes = dtype === 'q8_0' ? quantizeQ8_0(b) : quantizeQ4_0(b);
      blocks.set(dtype, bytes);
    }
    return bytes;
  };
  return {
    kind: 'matmul',
    a,
    b,
    quantized,
    effectiveWeights(dtype) {
      if (dtype === 'f32') return b;
      let values = dequantized.get(dtype);
      if (!values) {
        values = dtype === 'q8_0' ? dequantizeQ8_0(quantized(dtype), N * K) : dequantizeQ4_0(quantized(dtype), N * K);
        dequantized.set(dtype, values);
      }
      return values;
    },
  };
}

function attentionData(kernelCase: AttentionCase): AttentionData {
  const { queries, context, heads, kvHeads, headDim } = kernelCase;
  return {
    kind: 'attention',
    q: uniformFill(queries * heads * headDim, 3),
    k: uniformFill(context * kvHeads * headDim, 4),
    v: uniformFill(context * kvHeads * headDim, 5),
  };
}

export function makeCaseData(kernelCase: KernelCase): CaseData {
  return kernelCase.kind === 'matmul' ? matmulData(kernelCase) : attentionData(kernelCase);
}

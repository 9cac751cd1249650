import { Budget } from '../measure/budget.js';
import type { AttentionData, MatmulData } from './case-data.js';
import { coversEverything, type Contender, type PreparedCall } from './contender.js';
import type { AttentionCase, MatmulCase } from './kernel-cases.js';

/**
 * The floor every library must clear: what a person writes in plain JS without thinking about
 * caches. Loops are ordered so the innermost one walks memory contiguously (i-k-j for B [K, N],
 * i-j-k dot products for the [N, K] layout) — the obvious code, not a pathological one.
 */
export function naiveMatmul(out: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number, transposeB: boolean): void {
  if (transposeB) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += a[i * K + k]! * b[j * K + k]!;
        out[i * N + j] = sum;
      }
    }
    return;
  }
  out.fill(0);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const scale = a[i * K + k]!;
      for (let j = 0; j < N; j++) out[i * N + j] += scale * b[k * N + j]!;
    }
  }
}

/** Causal grouped-query attention, one (query, head) at a time: scores, softmax, weighted sum of V. */
export function naiveAttention(out: Float32Array, data: AttentionData, kernelCase: AttentionCase): void {
  const { queries, context, heads, kvHeads, headDim } = kernelCase;
  const scale = 1 / Math.sqrt(headDim);
  const group = heads / kvHeads;
  const scores = new Float32Array(context);
  for (let t = 0; t < queries; t++) {
    const visible = context - queries + t + 1;
    for (let h = 0; h < heads; h++) {
      const qOffset = (t * heads + h) * headDim;
      const kvHead = Math.floor(h / group);
      let max = -Infinity;
      for (let s = 0; s < visible; s++) {
        const kOffset = (s * kvHeads + kvHead) * headDim;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += data.q[qOffset + d]! * data.k[kOffset + d]!;
        scores[s] = dot * scale;
        if (scores[s]! > max) max = scores[s]!;
      }
      let total = 0;
      for (let s = 0; s < visible; s++) total += scores[s] = Math.exp(scores[s]! - max);
      for (let d = 0; d < headDim; d++) out[qOffset + d] = 0;
      for (let s = 0; s < visible; s++) {
        const weight = scores[s]! / total;
        const vOffset = (s * kvHeads + kvHead) * headDim;
        for (let d = 0; d < headDim; d++) out[qOffset + d] += weight * data.v[vOffset + d]!;
      }
    }
  }
}

export function createNaiveContender(budgetMs: number): Contender {
  return {
    impl: 'naive-js',
    threads: 1,
    note: 'plain JS loops, f32 weights only',
    budget: new Budget('naive-js', budgetMs),
    covers: (kernelCase, dtype) => coversEverything(kernelCase, dtype) && dtype === 'f32',
    async prepare(kernelCase, data): Promise<PreparedCall> {
      if (kernelCase.kind === 'matmul') {
        const { M, K, N, transposeB } = kernelCase as MatmulCase;
        const matmul = data as MatmulData;
        const out = new Float32Array(M * N);
        return {
          call: async () => naiveMatmul(out, matmul.a, matmul.b, M, K, N, transposeB),
          output: async () => out,
          release: () => {},
        };
      }
      const out = new Float32Array(kernelCase.queries * kernelCase.heads * kernelCase.headDim);
      return {
        call: async () => naiveAttention(out, data as AttentionData, kernelCase),
        output: async () => out,
        release: () => {},
      };
    },
    dispose: () => {},
  };
}

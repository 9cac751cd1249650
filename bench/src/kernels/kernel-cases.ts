/**
 * What the kernels suite measures. Cases are listed smallest first within each benchmark: the
 * suite predicts a slow impl's next call from its throughput on the previous case and skips calls
 * that would not fit its budget.
 */
export type MatmulWeightType = 'f32' | 'q8_0' | 'q4_0';
/** A row's type: the weight type of a product; for attention, the KV cache's element type. */
export type WeightType = MatmulWeightType | 'f16';

export interface MatmulCase {
  kind: 'matmul';
  benchmark: 'matmul' | 'decode matvec';
  M: number;
  K: number;
  N: number;
  /** true: weights in the linear-layer layout [N, K] (HF / GGUF); false: B is [K, N]. */
  transposeB: boolean;
  /** Weight types timed side by side (interleaved), so f32 and Q8_0 share the same noise. */
  dtypes: readonly MatmulWeightType[];
}

export interface AttentionCase {
  kind: 'attention';
  benchmark: 'attention decode' | 'attention prefill';
  /** Valid keys in the cache (kvLength = cache capacity S here). */
  context: number;
  /** 1 for decode, `context` for prefill. */
  queries: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** KV cache types: f16 rows (Cria only) show what widening halves costs next to f32. */
  dtypes: readonly ('f32' | 'f16')[];
}

export type KernelCase = MatmulCase | AttentionCase;

/** Llama-style grouped-query attention small enough to afford on 2 cores: 8 query heads of 64, 2 KV heads. */
export const ATTENTION_CONFIG = { heads: 8, kvHeads: 2, headDim: 64 } as const;
const QUICK_ATTENTION_CONFIG = { heads: 4, kvHeads: 2, headDim: 16 } as const;

const matmul = (size: number): MatmulCase => ({ kind: 'matmul', benchmark: 'matmul', M: size, K: size, N: size, transposeB: false, dtypes: ['f32'] });

const decode = (K: number, N: number): MatmulCase => ({
  kind: 'matmul',
  benchmark: 'decode matvec',
  M: 1,
  K,
  N,
  transposeB: true,
  dtypes: ['f32', 'q8_0', 'q4_0'],
});

function attention(mode: 'decode' | 'prefill', context: number, config: { heads: number; kvHeads: number; headDim: number }): AttentionCase {
  return {
    kind: 'attention',
    benchmark: mode === 'decode' ? 'attention decode' : 'attention prefill',
    context,
    queries: mode === 'decode' ? 1 : context,
    ...config,
    dtypes: ['f32', 'f16'],
  };
}

export function kernelCases(quick: boolean): KernelCase[] {
  if (quick) {
    return [
      matmul(32),
      matmul(64),
      decode(64, 96),
      attention('decode', 16, QUICK_ATTENTION_CONFIG),
      attention('prefill', 16, QUICK_ATTENTION_CONFIG),
    ];
  }
  return [
    matmul(256),
    matmul(1024),
    matmul(2048),
    // SmolLM-135M's MLP up-projection (hidden 576 → 1536) and a Llama-7B-class 4096 → 4096 projection.
    decode(576, 1536),
    decode(4096, 4096),
    ...[128, 512, 2048].map((context) => attention('decode', context, ATTENTION_CONFIG)),
    ...[128, 512, 2048].map((context) => attention('prefill', context, ATTENTION_CONFIG)),
  ];
}

/** The shape column: M×K×N for products, the context for attention. */
export function describeShape(kernelCase: KernelCase): string {
  if (kernelCase.kind === 'matmul') return `${kernelCase.M}×${kernelCase.K}×${kernelCase.N}`;
  return kernelCase.queries === 1 ? `context ${kernelCase.context}` : `${kernelCase.queries} tokens`;
}

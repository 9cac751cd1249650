import { SeededRandom } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';

/** The Llama linear layers LoRA can adapt, by their short name (PEFT's `target_modules` use the long one). */
export type LoraTarget = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

export const LORA_TARGETS: readonly LoraTarget[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/** Short name → the module name inside a Hugging Face Llama layer (`model.layers.N.<module>`). */
export const LORA_MODULES: Record<LoraTarget, string> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};

/**
 * LoRA (Hu et al. 2021) as PEFT's `LoraConfig`: y = x·Wᵀ + (alpha / rank) · dropout(x)·Aᵀ·Bᵀ over a
 * frozen W, A [rank, in], B [out, rank]. Every base parameter is frozen (norms and embeddings too,
 * as PEFT does with bias "none").
 */
export interface LoraOptions {
  rank: number;
  /** Default: rank (scaling 1). */
  alpha?: number;
  /** Probability of zeroing an input element of the adapter path while training (default 0). */
  dropout?: number;
  /** Default: q and v (PEFT's default for Llama). */
  targets?: readonly LoraTarget[];
  /** Seeds A's initialisation and the dropout masks. */
  seed?: number;
}

export interface ResolvedLoraOptions {
  rank: number;
  alpha: number;
  dropout: number;
  targets: readonly LoraTarget[];
  seed: number;
  /** alpha / rank */
  scaling: number;
}

export function resolveLoraOptions(options: LoraOptions): ResolvedLoraOptions {
  const { rank } = options;
  const alpha = options.alpha ?? rank;
  const dropout = options.dropout ?? 0;
  const targets = options.targets ?? ['q', 'v'];
  if (!Number.isInteger(rank) || rank < 1) throw new TrainingInputError('lora.rank', 'a positive integer', String(rank), 'use 8 or 16, the usual LoRA ranks');
  if (!(alpha > 0)) throw new TrainingInputError('lora.alpha', 'a positive number', String(alpha), 'use 2 × rank (or rank, for a scaling of 1)');
  if (!(dropout >= 0 && dropout < 1)) throw new TrainingInputError('lora.dropout', 'a probability in [0, 1)', String(dropout), 'use 0 or 0.05');
  if (targets.length === 0) throw new TrainingInputError('lora.targets', 'at least one target module', 'none', `choose from ${LORA_TARGETS.join(', ')}`);
  for (const target of targets) {
    if (!LORA_TARGETS.includes(target)) throw new TrainingInputError('lora.targets', `one of ${LORA_TARGETS.join(', ')}`, `'${target}'`, 'name the linear layers by their short name (q,k,v,o,gate,up,down)');
  }
  return { rank, alpha, dropout, targets: [...new Set(targets)], seed: options.seed ?? 0, scaling: alpha / rank };
}

/** Parses `q,k,v,o` (or the long names `q_proj,...`) as LoRA targets. */
export function parseLoraTargets(list: string): LoraTarget[] {
  return list
    .split(',')
    .map((name) => name.trim().replace(/_proj$/, ''))
    .filter((name) => name.length > 0) as LoraTarget[];
}

/**
 * A [rank, in] as PEFT initialises it: `nn.init.kaiming_uniform_(A, a=√5)`, i.e. U(−1/√in, 1/√in)
 * (gain √(2 / (1 + 5)), bound gain · √(3 / fan_in)). B starts at zero, so the adapted model equals
 * the base until the first update.
 */
export function initialLoraA(rank: number, inFeatures: number, random: SeededRandom): Float32Array {
  const bound = 1 / Math.sqrt(inFeatures);
  return Float32Array.from({ length: rank * inFeatures }, () => (2 * random.uniform() - 1) * bound);
}

import { applyFrequencyPresencePenalty, applyLogitBias, applyRepetitionPenalty, argmax, logSoftmax } from './logit-processors.js';
import { SeededRng } from './seeded-rng.js';

/** Sampling settings with every default filled in (see `samplerOptionsFrom`). */
export interface SamplerOptions {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 0 = off. */
  minP: number;
  /** 1 = off. */
  repetitionPenalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
  logitBias: ReadonlyMap<number, number>;
  seed: number;
  /** Alternatives reported per token (0 = only the chosen token's logprob). */
  topLogprobs: number;
  logprobs: boolean;
}

export interface TokenChoice {
  id: number;
  logprob: number;
}

export interface SampledToken extends TokenChoice {
  /** Most likely tokens, best first, when logprobs were asked for. */
  top: TokenChoice[];
}

/**
 * Tokens whose logit is this far below the best have probability < e^−40 ≈ 4·10⁻¹⁸ relative to it:
 * below f32 resolution in any cumulative sum, so top-p/min-p may drop them before sorting the vocabulary.
 */
const NEGLIGIBLE_LOGIT_GAP = 40;

/**
 * Turns one logits row into a token, in llama.cpp's order: logit bias → repetition penalty (over
 * the whole context) → frequency/presence penalties (over the generated tokens) → greedy when
 * temperature is 0, else top-k → top-p → min-p → temperature → a draw from the seeded RNG.
 *
 * Reported logprobs are log-softmax of the logits after bias and penalties, before temperature and
 * truncation: the model's own distribution as the request shaped it, comparable across temperatures.
 */
export class Sampler {
  readonly #rng: SeededRng;

  constructor(readonly options: SamplerOptions) {
    this.#rng = new SeededRng(options.seed);
  }

  /** `logits` is modified in place. */
  sample(logits: Float32Array, context: readonly number[], generated: readonly number[]): SampledToken {
    const o = this.options;
    applyLogitBias(logits, o.logitBias);
    applyRepetitionPenalty(logits, context, o.repetitionPenalty);
    applyFrequencyPresencePenalty(logits, generated, o.frequencyPenalty, o.presencePenalty);
    const id = o.temperature === 0 ? argmax(logits) : this.#draw(logits);
    if (!o.logprobs) return { id, logprob: Number.NaN, top: [] };
    const logprobs = logSoftmax(logits);
    return { id, logprob: logprobs[id]!, top: topChoices(logprobs, o.topLogprobs) };
  }

  #draw(logits: Float32Array): number {
    const { topK, topP, minP, temperature } = this.options;
    const truncating = (topK > 0 && topK < logits.length) || topP < 1 || minP > 0;
    let candidates: number[];
    if (!truncating) candidates = Array.from({ length: logits.length }, (_, i) => i);
    else {
      const best = logits[argmax(logits)]!;
      candidates = [];
      for (let i = 0; i < logits.length; i++) if (logits[i]! >= best - NEGLIGIBLE_LOGIT_GAP) candidates.push(i);
      // Ties keep the lower id first, so the draw does not depend on the sort's stability.
      candidates.sort((a, b) => logits[b]! - logits[a]! || a - b);
      if (topK > 0) candidates.length = Math.min(candidates.length, topK);
      if (topP < 1) candidates.length = nucleusLength(logits, candidates, topP);
      if (minP > 0) {
        // p ≥ min_p · p_max  ⇔  logit ≥ max logit + ln(min_p)
        const threshold = logits[candidates[0]!]! + Math.log(minP);
        let keep = 1;
        while (keep < candidates.length && logits[candidates[keep]!]! >= threshold) keep++;
        candidates.length = keep;
      }
    }
    let max = -Infinity;
    for (const i of candidates) if (logits[i]! > max) max = logits[i]!;
    const weights = new Float64Array(candidates.length);
    let total = 0;
    for (let j = 0; j < candidates.length; j++) {
      weights[j] = Math.exp((logits[candidates[j]!]! - max) / temperature);
      total += weights[j]!;
    }
    let target = this.#rng.next() * total;
    for (let j = 0; j < candidates.length; j++) {
      target -= weights[j]!;
      if (target < 0) return candidates[j]!;
    }
    return candidates[candidates.length - 1]!;
  }
}

/** The smallest prefix of the (sorted) candidates whose probability reaches `topP`, at least one. */
function nucleusLength(logits: Float32Array, sorted: readonly number[], topP: number): number {
  const max = logits[sorted[0]!]!;
  let total = 0;
  for (const i of sorted) total += Math.exp(logits[i]! - max);
  let cumulative = 0;
  for (let j = 0; j < sorted.length; j++) {
    cumulative += Math.exp(logits[sorted[j]!]! - max) / total;
    if (cumulative >= topP) return j + 1;
  }
  return sorted.length;
}

/** The `count` most likely tokens, best first (lowest id on ties). */
export function topChoices(logprobs: Float32Array, count: number): TokenChoice[] {
  if (count <= 0) return [];
  const top: TokenChoice[] = [];
  for (let id = 0; id < logprobs.length; id++) {
    const logprob = logprobs[id]!;
    if (top.length === count && logprob <= top[top.length - 1]!.logprob) continue;
    let at = top.length;
    while (at > 0 && top[at - 1]!.logprob < logprob) at--;
    top.splice(at, 0, { id, logprob });
    if (top.length > count) top.pop();
  }
  return top;
}

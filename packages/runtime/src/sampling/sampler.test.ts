import { describe, expect, it } from 'vitest';
import { applyFrequencyPresencePenalty, applyRepetitionPenalty, logSoftmax } from './logit-processors.js';
import { Sampler, topChoices, type SamplerOptions } from './sampler.js';

const OFF: SamplerOptions = {
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  repetitionPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
  logitBias: new Map(),
  seed: 1,
  topLogprobs: 0,
  logprobs: false,
};

const LOGITS = [2, 1, 0.5, 0, -1, 3, 3];

/** Token frequencies over many draws (fresh logits each time: sample() edits them in place). */
function histogram(options: Partial<SamplerOptions>, draws = 4000, context: number[] = []): number[] {
  const sampler = new Sampler({ ...OFF, ...options });
  const counts = new Array<number>(LOGITS.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.sample(Float32Array.from(LOGITS), context, []).id]!++;
  return counts;
}

describe('Sampler', () => {
  it('temperature 0 is greedy, the lowest id on ties', () => {
    expect(histogram({ temperature: 0 }, 10)).toEqual([0, 0, 0, 0, 0, 10, 0]);
  });

  it('temperature 1 follows softmax', () => {
    const counts = histogram({}, 20000);
    const probabilities = Array.from(logSoftmax(Float32Array.from(LOGITS)), Math.exp);
    counts.forEach((count, id) => expect(count / 20000).toBeCloseTo(probabilities[id]!, 1));
  });

  it('low temperature sharpens, high temperature flattens', () => {
    const cold = histogram({ temperature: 0.1 });
    const hot = histogram({ temperature: 2 });
    expect(cold[5]! + cold[6]!).toBeGreaterThan(3990);
    expect(hot[4]!).toBeGreaterThan(histogram({})[4]!);
  });

  it('top_k keeps the k best', () => {
    const counts = histogram({ topK: 3 });
    expect(counts.map((count) => count > 0)).toEqual([true, false, false, false, false, true, true]);
  });

  it('top_p keeps the smallest set reaching p', () => {
    // softmax: the two 3s → 0.377 each (0.754 together), 2 → 0.139; so p = 0.6 keeps the 3s, p = 0.8 adds the 2.
    expect(histogram({ topP: 0.6 }).map((count) => count > 0)).toEqual([false, false, false, false, false, true, true]);
    expect(histogram({ topP: 0.8 }).map((count) => count > 0)).toEqual([true, false, false, false, false, true, true]);
  });

  it('min_p drops tokens below min_p × the best probability', () => {
    // e^(1−3) = 0.135: min_p 0.2 drops logit 1 and below, keeps logit 2 (e^−1 = 0.37).
    expect(histogram({ minP: 0.2 }).map((count) => count > 0)).toEqual([true, false, false, false, false, true, true]);
  });

  it('logit_bias shifts single tokens', () => {
    expect(histogram({ temperature: 0, logitBias: new Map([[4, 10]]) }, 5)[4]).toBe(5);
    expect(histogram({ logitBias: new Map([[5, -100], [6, -100]]) }).slice(5)).toEqual([0, 0]);
  });

  it('the same seed gives the same draws; another seed differs', () => {
    const draw = (seed: number) => {
      const sampler = new Sampler({ ...OFF, seed });
      return Array.from({ length: 50 }, () => sampler.sample(Float32Array.from(LOGITS), [], []).id);
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('reports logprobs and the top alternatives, best first', () => {
    const sampler = new Sampler({ ...OFF, temperature: 0, logprobs: true, topLogprobs: 3 });
    const token = sampler.sample(Float32Array.from(LOGITS), [], []);
    const expected = logSoftmax(Float32Array.from(LOGITS));
    expect(token.id).toBe(5);
    expect(token.logprob).toBeCloseTo(expected[5]!, 6);
    expect(token.top.map((choice) => choice.id)).toEqual([5, 6, 0]);
    expect(topChoices(expected, 0)).toEqual([]);
  });
});

describe('penalties', () => {
  it('repetition penalty divides positive and multiplies negative logits of context tokens, once per token', () => {
    const logits = Float32Array.from([2, -2, 1]);
    applyRepetitionPenalty(logits, [0, 1, 1, 1], 2);
    expect([...logits]).toEqual([1, -4, 1]);
  });

  it('frequency and presence penalties follow OpenAI: count × frequency + presence', () => {
    const logits = Float32Array.from([0, 0, 0]);
    applyFrequencyPresencePenalty(logits, [0, 0, 0, 2], 0.5, 1);
    expect([...logits]).toEqual([-2.5, 0, -1.5]);
  });

  it('the repetition penalty reaches the sampler over the context', () => {
    const sampler = new Sampler({ ...OFF, temperature: 0, repetitionPenalty: 10 });
    expect(sampler.sample(Float32Array.from(LOGITS), [5, 6], []).id).toBe(0);
  });

  it('frequency/presence penalties reach the sampler over the generated tokens', () => {
    const sampler = new Sampler({ ...OFF, temperature: 0, presencePenalty: 2 });
    expect(sampler.sample(Float32Array.from(LOGITS), [], [5, 6]).id).toBe(0);
  });
});

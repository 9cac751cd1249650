import { describe, expect, it } from 'vitest';
import { learningRateAt } from './lr-schedule.js';

describe('learningRateAt (Hugging Face schedules, step s uses lambda(s − 1))', () => {
  const base = { learningRate: 1, warmupSteps: 4, totalSteps: 12 };

  it('warms up linearly from 0', () => {
    expect([1, 2, 3, 4, 5].map((step) => learningRateAt(base, step))).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('cosine decays to 0 at totalSteps (half a cosine period)', () => {
    expect(learningRateAt(base, 9)).toBeCloseTo(0.5, 12); // index 8: progress 0.5
    expect(learningRateAt(base, 13)).toBeCloseTo(0, 12);
    expect(learningRateAt(base, 20)).toBe(0);
  });

  it('linear decays to 0 at totalSteps', () => {
    const linear = { ...base, decay: 'linear' as const };
    expect(learningRateAt(linear, 9)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(linear, 13)).toBe(0);
  });

  it('constant holds after warmup; steps count from 1', () => {
    expect(learningRateAt({ ...base, decay: 'constant' }, 100)).toBe(1);
    expect(() => learningRateAt(base, 0)).toThrow(/counted from 1/);
  });
});

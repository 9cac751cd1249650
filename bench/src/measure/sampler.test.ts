import { describe, expect, it } from 'vitest';
import { Budget } from './budget.js';
import { sampleCase, sampleInterleaved, type LoadGuard, type SamplingPolicy } from './sampler.js';

/** A fake clock: each subject's call advances time by its own fixed cost, so no real timing is involved. */
function fakeWorld() {
  let now = 0;
  const order: string[] = [];
  const subject = (label: string, cost: number, budget?: Budget) => ({
    label,
    budget,
    call: async () => {
      order.push(label);
      now += cost;
    },
  });
  return { clock: () => now, order, subject };
}

const POLICY: SamplingPolicy = { warmupCalls: 2, minRuns: 3, maxRuns: 6, targetMs: 10, slowCallMs: 100, slowMinRuns: 1 };

describe('sampleInterleaved', () => {
  it('warms up, then alternates subjects round-robin', async () => {
    const world = fakeWorld();
    const results = await sampleInterleaved([world.subject('a', 2), world.subject('b', 2)], POLICY, world.clock);
    // 10 ms target / 2 ms per call = 5 runs each
    expect(results.map((result) => result.times.length)).toEqual([5, 5]);
    expect(results[0]!.times.every((time) => time === 2)).toBe(true);
    expect(world.order.slice(0, 4)).toEqual(['a', 'a', 'b', 'b']);
    expect(world.order.slice(4, 8)).toEqual(['a', 'b', 'b', 'a']);
  });

  it('gives slow subjects one warm-up and the slow minimum of runs', async () => {
    const world = fakeWorld();
    const [slow] = await sampleInterleaved([world.subject('slow', 500)], POLICY, world.clock);
    expect(world.order).toEqual(['slow', 'slow']);
    expect(slow!.times).toEqual([500]);
  });

  it('caps fast subjects at maxRuns and stops a subject whose budget is spent', async () => {
    const world = fakeWorld();
    const budget = new Budget('gpu', 18);
    const results = await sampleInterleaved([world.subject('fast', 0.01), world.subject('gpu', 5, budget)], POLICY, world.clock);
    expect(results[0]!.times.length).toBe(6);
    // 2 warm-ups (10 ms) + 2 runs (10 ms) spend the 18 ms budget; the third planned run is cut
    expect(results[1]!.times.length).toBe(2);
    expect(results[1]!.cutShort).toMatch(/gpu time budget/);
  });

  it('records an error and stops calling that subject', async () => {
    const world = fakeWorld();
    let calls = 0;
    const failing = {
      label: 'bad',
      call: async () => {
        if (calls++ === 2) throw new Error('device lost\nmore');
      },
    };
    const [result] = await sampleInterleaved([failing], POLICY, world.clock);
    expect(result!.error).toBe('device lost');
    expect(calls).toBe(3);
  });
});

describe('sampleCase with a load guard', () => {
  /** A guard whose reported load follows a script: one value per window, then quiet. */
  function scriptedGuard(loads: number[], maxDiscardedMs = 1000) {
    let window = 0;
    const guard: LoadGuard = {
      thresholdCores: 0.5,
      windowMs: 4,
      maxDiscardedMs,
      watch: () => {
        const load = loads[window++] ?? 0;
        return { othersCores: () => load };
      },
    };
    return guard;
  }

  it('throws away windows timed while the machine was busy and times them again', async () => {
    const world = fakeWorld();
    const policy: SamplingPolicy = { ...POLICY, minRuns: 4, maxRuns: 4 };
    const result = await sampleCase([world.subject('a', 1), world.subject('b', 1)], policy, world.clock, scriptedGuard([0.9, 0, 0]));
    expect(result.subjects.map((subject) => subject.times.length)).toEqual([4, 4]);
    // first window: 2 rounds × 2 calls × 1 ms, discarded; then 4 more rounds kept
    expect(result.discardedMs).toBe(4);
    expect(result.otherCores).toBe(0);
    expect(world.order.length).toBe(4 + 4 + 8); // warm-ups, the discarded window, the kept runs
  });

  it('keeps loaded windows once the discard allowance is spent, and reports their load', async () => {
    const world = fakeWorld();
    const policy: SamplingPolicy = { ...POLICY, minRuns: 4, maxRuns: 4 };
    const result = await sampleCase([world.subject('a', 1), world.subject('b', 1)], policy, world.clock, scriptedGuard([1, 1, 1, 1], 0));
    expect(result.discardedMs).toBe(0);
    expect(result.otherCores).toBe(1);
  });
});

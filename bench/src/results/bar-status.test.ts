import { describe, expect, it } from 'vitest';
import { INCONCLUSIVE_LOAD, NOTABLE_LOAD, verdict } from './bar-status.js';

describe('verdict', () => {
  it('judges "≥" speed bars and "≤" memory bars at the target itself as PASS', () => {
    expect(verdict(0.8, 0.8, { higherIsBetter: true }).status).toBe('PASS');
    expect(verdict(0.79, 0.8, { higherIsBetter: true }).status).toBe('MISS');
    expect(verdict(1.3, 1.3, { higherIsBetter: false }).status).toBe('PASS');
    expect(verdict(1.31, 1.3, { higherIsBetter: false }).status).toBe('MISS');
  });

  it('says nothing about a quiet machine and notes a busy one', () => {
    expect(verdict(2, 1, { higherIsBetter: true, load: NOTABLE_LOAD - 0.01 }).note).toBe('');
    expect(verdict(2, 1, { higherIsBetter: true, load: 0.4 })).toEqual({ status: 'PASS', note: '; other processes used up to 0.40 cores meanwhile' });
  });

  it('leaves load-sensitive ratios unjudged past INCONCLUSIVE_LOAD, saying how they would be judged', () => {
    const load = INCONCLUSIVE_LOAD + 0.1;
    expect(verdict(0.5, 1, { higherIsBetter: true, load, loadSensitive: true })).toEqual({
      status: 'INCONCLUSIVE',
      note: `; INCONCLUSIVE: other processes used up to ${load.toFixed(2)} cores meanwhile (would be MISS)`,
    });
    // The same load on a ratio that does not need every core is only noted.
    expect(verdict(0.5, 1, { higherIsBetter: true, load }).status).toBe('MISS');
  });
});

import { describe, expect, it } from 'vitest';
import { startLoadProbe, waitForQuiet } from './machine-load.js';

describe('machine load', () => {
  it('reports other processes’ load as a non-negative number of cores', async () => {
    const probe = startLoadProbe();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cores = probe.stop();
    expect(cores).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(cores)).toBe(true);
  });

  it('does not wait when given no time to wait', async () => {
    expect(await waitForQuiet(0.3, 0)).toBe(0);
  });
});

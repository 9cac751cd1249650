import { expect, it } from 'vitest';
import { measureNodeFloor } from './node-floor.js';

it('measures a bare Node and one with a worker thread, the worker costing more', () => {
  const floor = measureNodeFloor(['--experimental-wasm-relaxed-simd'], 1);
  expect(floor.bareBytes).toBeGreaterThan(10 * 2 ** 20);
  expect(floor.withWorkerBytes).toBeGreaterThan(floor.bareBytes);
  expect(floor.withWorkerBytes).toBeLessThan(500 * 2 ** 20);
});

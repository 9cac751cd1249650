import { describe, expect, it } from 'vitest';
import { fillRopeTable, RopeTableCache, ropeTableFloats } from './rope-table.js';

/** A memory of plain JS arrays that records allocations, standing in for the wasm one. */
function fakeMemory() {
  const blocks = new Map<number, Float32Array>();
  let next = 16;
  const log = { allocations: 0, frees: 0 };
  return {
    log,
    allocate(bytes: number) {
      log.allocations++;
      blocks.set(next, new Float32Array(bytes / 4));
      return (next += bytes + 16) - bytes - 16;
    },
    free(offset: number) {
      log.frees++;
      blocks.delete(offset);
    },
    float32(offset: number, count: number) {
      const block = blocks.get(offset)!;
      expect(block.length).toBeGreaterThanOrEqual(count);
      return block.subarray(0, count);
    },
    contents: (offset: number) => blocks.get(offset)!,
  };
}

function expectedTable(positions: Int32Array, D: number, style: 'half' | 'interleaved', frequencies: number | Float32Array): Float32Array {
  const table = new Float32Array(positions.length * ropeTableFloats(D, style));
  fillRopeTable(table, positions, D, style, frequencies);
  return table;
}

describe('RopeTableCache', () => {
  it('fills once for repeated positions, refills when they change, and grows only past its capacity', () => {
    const memory = fakeMemory();
    const cache = new RopeTableCache(memory);
    const prefill = Int32Array.from({ length: 12 }, (_, i) => i);
    const first = cache.tableFor(prefill, 8, 'half', 10000);
    expect(memory.contents(first).subarray(0, 12 * 8)).toEqual(expectedTable(prefill, 8, 'half', 10000));
    // The same positions again (the next layer's q and k): the same block, untouched allocator.
    memory.contents(first)[0] = 42;
    expect(cache.tableFor(Int32Array.from(prefill), 8, 'half', 10000)).toBe(first);
    expect(memory.contents(first)[0]).toBe(42);
    // A decode step: new positions, smaller, in the same block, refilled.
    const step = Int32Array.of(12);
    expect(cache.tableFor(step, 8, 'half', 10000)).toBe(first);
    expect(memory.contents(first).subarray(0, 8)).toEqual(expectedTable(step, 8, 'half', 10000));
    // Another style or theta is another table.
    expect(cache.tableFor(step, 8, 'interleaved', 10000)).toBe(first);
    expect(memory.contents(first).subarray(0, 16)).toEqual(expectedTable(step, 8, 'interleaved', 10000));
    cache.tableFor(step, 8, 'interleaved', 500000);
    expect(memory.contents(first).subarray(0, 16)).toEqual(expectedTable(step, 8, 'interleaved', 500000));
    expect(memory.log).toEqual({ allocations: 1, frees: 0 });
    // Longer than the block: a new, larger one replaces it.
    const longer = Int32Array.from({ length: 40 }, (_, i) => 100 + i);
    const grown = cache.tableFor(longer, 8, 'half', 10000);
    expect(memory.log).toEqual({ allocations: 2, frees: 1 });
    expect(memory.contents(grown).subarray(0, 40 * 8)).toEqual(expectedTable(longer, 8, 'half', 10000));
  });
});

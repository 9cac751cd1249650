import { describe, expect, it } from 'vitest';
import { ResourceLimitError } from '../errors.js';
import { FreeListAllocator } from './allocator.js';
import { WasmMemory } from './wasm-memory.js';

/** An allocator over [1024, limit) that grows in 4 KiB steps and records each growth. */
function allocator(limit = 1 << 20) {
  const growths: number[] = [];
  const instance = new FreeListAllocator(1024, limit, (end) => {
    const rounded = Math.ceil(end / 4096) * 4096;
    growths.push(rounded);
    return rounded;
  });
  return { instance, growths };
}

describe('FreeListAllocator', () => {
  it('hands out 16-byte aligned, non-overlapping blocks', () => {
    const { instance } = allocator();
    const blocks = [1, 17, 100, 3, 64].map((size) => ({ size, offset: instance.allocate(size) }));
    for (const block of blocks) expect(block.offset % 16).toBe(0);
    const sorted = [...blocks].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.offset).toBeGreaterThanOrEqual(sorted[i - 1]!.offset + sorted[i - 1]!.size);
  });

  it('reuses a freed block for a request of the same size', () => {
    const { instance } = allocator();
    const first = instance.allocate(1000);
    instance.allocate(1000);
    instance.free(first);
    expect(instance.allocate(1000)).toBe(first);
  });

  it('coalesces neighbouring free blocks', () => {
    const { instance } = allocator();
    const a = instance.allocate(256);
    const b = instance.allocate(256);
    const c = instance.allocate(256);
    instance.allocate(16); // keeps c's right neighbour busy
    instance.free(a);
    instance.free(c);
    instance.free(b); // joins a, b and c into one 768-byte range
    expect(instance.allocate(768)).toBe(a);
  });

  it('grows the memory when nothing fits, extending a free range at the top', () => {
    const { instance, growths } = allocator();
    instance.allocate(3000);
    expect(growths).toEqual([4096]);
    const top = instance.allocate(48); // fits in the free tail [4032, 4096)
    expect(growths).toHaveLength(1);
    instance.free(top);
    expect(instance.allocate(8000)).toBe(4032); // the free tail is extended rather than skipped
    expect(growths[1]).toBe(Math.ceil((4032 + 8000) / 4096) * 4096);
    expect(instance.bytesInUse).toBe(3008 + 8000);
  });

  it('throws ResourceLimitError past the limit, and stays usable', () => {
    const { instance } = allocator(64 * 1024);
    instance.allocate(32 * 1024);
    expect(() => instance.allocate(40 * 1024)).toThrow(ResourceLimitError);
    expect(instance.allocate(16 * 1024) % 16).toBe(0);
  });

  it('rejects freeing an offset it never allocated', () => {
    const { instance } = allocator();
    expect(() => instance.free(4096)).toThrow(RangeError);
  });
});

describe('WasmMemory', () => {
  it('grows the WebAssembly.Memory and keeps its byte view current', () => {
    const memory = new WasmMemory(false);
    const before = memory.memory.buffer.byteLength;
    const offset = memory.allocate(4 * before);
    memory.write(offset, new Float32Array([1, 2, 3]));
    expect(memory.memory.buffer.byteLength).toBeGreaterThanOrEqual(offset + 4 * before);
    expect(Array.from(memory.float32(offset, 3))).toEqual([1, 2, 3]);
    expect(memory.bytes.byteLength).toBe(memory.memory.buffer.byteLength);
  });

  it('refuses more than 4 GiB with a ResourceLimitError that says what to do', () => {
    const memory = new WasmMemory(true);
    expect(() => memory.allocate(2 ** 32)).toThrow(/4 GiB[\s\S]*Hint: free tensors/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindGroupCache } from './bind-group-cache.js';
import { BufferUsage } from './buffer-pool.js';
import { createWebGPUBackend, type WebGPUBackend } from './webgpu-backend.js';

describe('bind group cache', () => {
  let gpu: WebGPUBackend;
  let pipeline: GPUComputePipeline;
  beforeAll(async () => {
    gpu = await createWebGPUBackend();
    const module = gpu.device.createShaderModule({
      code: '@group(0) @binding(0) var<uniform> p: vec4<u32>; @group(0) @binding(1) var<storage, read_write> x: array<u32>; @compute @workgroup_size(1) fn main() { x[0] = p.x; }',
    });
    pipeline = gpu.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  });
  afterAll(() => gpu?.dispose());

  const buffer = (usage: number) => gpu.device.createBuffer({ size: 512, usage });
  const entries = (uniform: GPUBuffer, offset: number, storage: GPUBuffer): GPUBindGroupEntry[] => [
    { binding: 0, resource: { buffer: uniform, offset, size: 16 } },
    { binding: 1, resource: { buffer: storage } },
  ];

  it('creates a bind group once per pipeline and binding ranges, and again after forget', () => {
    const cache = new BindGroupCache(gpu.device);
    const [uniform, storage, other] = [buffer(BufferUsage.UNIFORM), buffer(BufferUsage.STORAGE), buffer(BufferUsage.STORAGE)];
    const first = cache.get(pipeline, entries(uniform, 0, storage));
    expect(cache.get(pipeline, entries(uniform, 0, storage))).toBe(first);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
    // Another offset or another buffer is another bind group.
    expect(cache.get(pipeline, entries(uniform, 256, storage))).not.toBe(first);
    expect(cache.get(pipeline, entries(uniform, 0, other))).not.toBe(first);
    expect(cache.size).toBe(3);
    // A buffer about to be destroyed takes its bind groups with it; the others stay.
    cache.forget(storage);
    expect(cache.size).toBe(1);
    expect(cache.get(pipeline, entries(uniform, 0, storage))).not.toBe(first);
    expect(cache.stats.misses).toBe(4);
    for (const b of [uniform, storage, other]) b.destroy();
  });

  it('starts over instead of growing past its bound', () => {
    const cache = new BindGroupCache(gpu.device);
    const [uniform, storage] = [buffer(BufferUsage.UNIFORM), gpu.device.createBuffer({ size: 4096 * 16 + 16, usage: BufferUsage.STORAGE })];
    for (let i = 0; i <= 4096; i++) cache.get(pipeline, [entries(uniform, 0, storage)[0]!, { binding: 1, resource: { buffer: storage, offset: 0, size: 16 + 16 * i } }]);
    expect(cache.size).toBe(1);
    uniform.destroy();
    storage.destroy();
  });
});

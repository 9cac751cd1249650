import { describe, expect, it } from 'vitest';
import { DeviceLostError } from '../errors.js';
import { createWebGPUBackend } from './webgpu-backend.js';

describe('WebGPU device loss', () => {
  it('turns every later call into DeviceLostError with the reason', async () => {
    const gpu = await createWebGPUBackend();
    const x = gpu.tensor('f32', [8], new Float32Array(8).fill(1));
    const out = gpu.tensor('f32', [8]);
    gpu.device.destroy();
    await gpu.device.lost;
    expect(() => gpu.silu({ out, x })).toThrow(DeviceLostError);
    expect(() => gpu.tensor('f32', [8])).toThrow(/device lost \(destroyed\)/);
    await expect(gpu.read(out)).rejects.toThrow(DeviceLostError);
    await expect(gpu.sync()).rejects.toThrow(DeviceLostError);
    gpu.dispose();
  });

  it('reports a read in flight when the device goes away as DeviceLostError', async () => {
    const gpu = await createWebGPUBackend();
    const x = gpu.tensor('f32', [8], new Float32Array(8).fill(1));
    const out = gpu.tensor('f32', [8]);
    gpu.silu({ out, x });
    const reading = gpu.read(out);
    gpu.device.destroy();
    // Either the read completed before the loss or it fails as a lost device, never another error.
    await reading.then(
      (values) => expect(values.length).toBe(8),
      (error) => expect(error).toBeInstanceOf(DeviceLostError),
    );
    gpu.dispose();
  });
});

describe('WebGPU errors', () => {
  it('surfaces an uncaptured validation error at the next read instead of returning garbage silently', async () => {
    const gpu = await createWebGPUBackend();
    gpu.device.createBuffer({ size: 4, usage: 0 }); // invalid on purpose: usage must not be 0
    const x = gpu.tensor('f32', [4], new Float32Array(4));
    await expect(gpu.read(x)).rejects.toThrow(/WebGPU reported 1 error.*usage/i);
    expect(Array.from(await gpu.read(x))).toEqual([0, 0, 0, 0]); // reported once, then cleared
    gpu.dispose();
  });
});

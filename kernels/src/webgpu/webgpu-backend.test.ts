import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBf16, toF16 } from '../numeric/half.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import { createReferenceBackend } from '../reference/reference-backend.js';
import { Random } from '../testing/random.js';
import { requestAdapter } from './gpu-device.js';
import { maxRelativeError, runOn, type HostTensor } from './test-helpers.js';
import { createWebGPUBackend, type WebGPUBackend } from './webgpu-backend.js';

const reference = createReferenceBackend();
const random = new Random(20240601);
const f32 = (shape: number[], data = random.floats(shape.reduce((a, b) => a * b, 1))): HostTensor => ({ dtype: 'f32', shape, data });

describe('WebGPU backend', () => {
  let gpu: WebGPUBackend;

  beforeAll(async () => {
    gpu = await createWebGPUBackend();
  });
  afterAll(() => gpu?.dispose());

  it('names its adapter and lists features and limits', () => {
    expect(gpu.info.name).toBe('webgpu');
    expect(gpu.info.description).toMatch(/^webgpu: \S/);
    expect(gpu.info.details.features).toBeInstanceOf(Array);
    expect(gpu.info.details.limits).toHaveProperty('maxStorageBufferBindingSize');
  });

  it('records a chain of ops into one submit per read', async () => {
    const x = gpu.tensor('f32', [4, 32], random.floats(128));
    const w = gpu.tensor('f32', [32], random.floats(32));
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map(() => gpu.tensor('f32', [4, 32]));
    const before = { ...gpu.stats };
    gpu.rmsnorm({ out: a!, x, weight: w, eps: 1e-5 });
    gpu.silu({ out: b!, x: a! });
    gpu.add({ out: c!, a: b!, b: w });
    gpu.scale({ out: d!, x: c!, factor: 0.5 });
    gpu.softmax({ out: e!, x: d! });
    expect(gpu.stats.submits).toBe(before.submits); // nothing submitted while recording
    const probabilities = await gpu.read(e!);
    expect(gpu.stats.submits - before.submits).toBe(1);
    expect(gpu.stats.dispatches - before.dispatches).toBe(5);
    expect(probabilities.slice(0, 32).reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);

    gpu.mul({ out: a!, a: x, b: w });
    await gpu.read(a!);
    await gpu.read(e!);
    expect(gpu.stats.submits - before.submits).toBe(3);
    for (const tensor of [x, w, a!, b!, c!, d!, e!]) gpu.free(tensor);
  });

  it('records the same batch again without creating bind groups, the new uniform values taking effect', async () => {
    const x = gpu.tensor('f32', [300], random.floats(300));
    const [a, b] = [0, 1].map(() => gpu.tensor('f32', [300]));
    const batch = async (factor: number) => {
      gpu.scale({ out: a!, x, factor });
      gpu.silu({ out: b!, x: a! });
      gpu.scale({ out: a!, x: b!, factor: 2 * factor });
      return gpu.read(a!);
    };
    const expected = async (factor: number) =>
      runOn(reference, { x: { dtype: 'f32', shape: [300], data: await gpu.read(x) } }, { dtype: 'f32', shape: [300] }, (backend, { x: input }, out) => {
        const [scaled, activated] = [backend.tensor('f32', [300]), backend.tensor('f32', [300])];
        backend.scale({ out: scaled, x: input!, factor });
        backend.silu({ out: activated, x: scaled });
        backend.scale({ out, x: activated, factor: 2 * factor });
      });
    await batch(1);
    const created = gpu.stats.bindGroups;
    for (const factor of [0.5, -3]) {
      // Same ops over the same buffers in the same uniform slots: every bind group is reused, and
      // the slots' new contents (the factors) are what the dispatches read.
      expect(maxRelativeError(await batch(factor), await expected(factor))).toBeLessThan(1e-5);
      expect(gpu.stats.bindGroups).toBe(created);
    }
    for (const tensor of [x, a!, b!]) gpu.free(tensor);
  });

  it('orders write() after ops recorded before it', async () => {
    const x = gpu.tensor('f32', [4], new Float32Array([1, 2, 3, 4]));
    const out = gpu.tensor('f32', [4]);
    gpu.scale({ out, x, factor: 2 });
    gpu.write(x, new Float32Array([10, 20, 30, 40])); // must not overtake the scale above
    expect(Array.from(await gpu.read(out))).toEqual([2, 4, 6, 8]);
    expect(Array.from(await gpu.read(x))).toEqual([10, 20, 30, 40]);
    gpu.free(x);
    gpu.free(out);
  });

  it('reuses freed buffers from the pool, zeroed', async () => {
    const first = gpu.tensor('f32', [1000], random.floats(1000));
    await gpu.read(first);
    gpu.free(first);
    const { created, reused } = gpu.poolStats;
    const second = gpu.tensor('f32', [1000]);
    expect(gpu.poolStats.reused).toBe(reused + 1);
    expect(gpu.poolStats.created).toBe(created);
    expect((await gpu.read(second)).every((value) => value === 0)).toBe(true);
    gpu.free(second);
  });

  it('matmul across tile boundaries (M 130, K 67, N 129) matches the reference, both layouts', async () => {
    for (const transposeB of [false, true]) {
      const inputs = { a: f32([130, 67]), b: f32(transposeB ? [129, 67] : [67, 129]) };
      const run = (backend: typeof gpu | typeof reference) =>
        runOn(backend, inputs, { dtype: 'f32', shape: [130, 129] }, (be, t, out) => be.matmul({ out, a: t.a!, b: t.b!, transposeB }));
      expect(maxRelativeError(await run(gpu), await run(reference))).toBeLessThan(1e-5);
    }
  });

  it('runs f16 and bf16 weights without shader-f16, and reads their bits back unchanged', async () => {
    expect(gpu.device.features.has('shader-f16')).toBe(false); // never requested: u32 unpacking only
    for (const [dtype, encode] of [['f16', toF16], ['bf16', toBf16]] as const) {
      const bits = encode(random.floats(37 * 45));
      for (const M of [1, 5]) {
        const inputs = { a: f32([M, 45]), b: { dtype, shape: [37, 45], data: bits } };
        const run = (backend: typeof gpu | typeof reference) =>
          runOn(backend, inputs, { dtype: 'f32', shape: [M, 37] }, (be, t, out) => be.matmul({ out, a: t.a!, b: t.b!, transposeB: true }));
        expect(maxRelativeError(await run(gpu), await run(reference)), `${dtype} M=${M}`).toBeLessThan(1e-5);
      }
      const tensor = gpu.tensor(dtype, [37, 45], bits);
      expect(Array.from(await gpu.read(tensor))).toEqual(Array.from(bits));
      gpu.free(tensor);
    }
  });

  it('reads quantized weights back as the GGUF blocks it was given', async () => {
    for (const [dtype, quantize] of [['q8_0', quantizeQ8_0], ['q4_0', quantizeQ4_0]] as const) {
      const blocks = quantize(random.floats(3 * 64));
      const tensor = gpu.tensor(dtype, [3, 64], blocks);
      expect(Array.from(await gpu.read(tensor))).toEqual(Array.from(blocks));
      gpu.free(tensor);
    }
  });
});

describe('WebGPU backend without subgroups', () => {
  it('takes the workgroup-memory reduction path and still matches the reference', async () => {
    const device = await (await requestAdapter()).requestDevice(); // no 'subgroups' requested
    const gpu = await createWebGPUBackend({ device });
    try {
      expect(gpu.info.details.subgroups).toBe(false);
      for (const [dtype, data] of [
        ['f32', random.floats(70 * 64)],
        ['q8_0', quantizeQ8_0(random.floats(70 * 64))],
        ['q4_0', quantizeQ4_0(random.floats(70 * 64))],
      ] as const) {
        const inputs = { a: f32([1, 64]), b: { dtype, shape: [70, 64], data } };
        const run = (backend: typeof gpu | typeof reference) =>
          runOn(backend, inputs, { dtype: 'f32', shape: [1, 70] }, (be, t, out) => be.matmul({ out, a: t.a!, b: t.b!, transposeB: true }));
        expect(maxRelativeError(await run(gpu), await run(reference)), dtype).toBeLessThan(1e-5);
      }
    } finally {
      gpu.dispose();
      device.destroy();
    }
  });
});

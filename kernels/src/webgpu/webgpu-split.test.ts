import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceLimitError } from '../errors.js';
import { toF16 } from '../numeric/half.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import { createReferenceBackend } from '../reference/reference-backend.js';
import { Random } from '../testing/random.js';
import type { GpuStorage } from './tensor-layout.js';
import { maxRelativeError, runOn, type HostTensor } from './test-helpers.js';
import { createWebGPUBackend, type WebGPUBackend } from './webgpu-backend.js';

/**
 * The path for weights larger than one storage binding (128 MiB by default), exercised on small
 * tensors by lowering the binding size to a few KiB.
 */
const MAX_BINDING_BYTES = 4096;
const reference = createReferenceBackend();
const random = new Random(77);

const WEIGHTS: Record<string, (count: number) => HostTensor['data']> = {
  f32: (count) => random.floats(count),
  f16: (count) => toF16(random.floats(count)),
  q8_0: (count) => quantizeQ8_0(random.floats(count)),
  q4_0: (count) => quantizeQ4_0(random.floats(count)),
};

describe(`WebGPU tensors split over bindings of ${MAX_BINDING_BYTES} bytes`, () => {
  let gpu: WebGPUBackend;

  beforeAll(async () => {
    gpu = await createWebGPUBackend({ maxBindingBytes: MAX_BINDING_BYTES });
  });
  afterAll(() => gpu?.dispose());

  it('splits by rows, each part within the limit, and reads back the host layout', async () => {
    for (const [dtype, make] of Object.entries(WEIGHTS)) {
      const shape = dtype === 'f16' ? [301, 33] : [150, 64]; // odd f16 rows: parts must stay u32-aligned
      const data = make(shape[0]! * shape[1]!);
      const tensor = gpu.tensor(dtype as HostTensor['dtype'], shape, data);
      const { parts } = tensor.handle as GpuStorage;
      expect(parts.length, dtype).toBeGreaterThan(1);
      for (const part of parts) expect(part.byteLength).toBeLessThanOrEqual(MAX_BINDING_BYTES);
      expect(Array.from(await gpu.read(tensor)), dtype).toEqual(Array.from(data as ArrayLike<number>));
      gpu.free(tensor);
    }
  });

  it('matmul with a split weight (decode and prefill) matches the reference', async () => {
    for (const [dtype, make] of Object.entries(WEIGHTS)) {
      const [N, K] = [150, 64];
      const b: HostTensor = { dtype: dtype as HostTensor['dtype'], shape: [N, K], data: make(N * K) };
      for (const M of [1, 6]) {
        const inputs = { a: { dtype: 'f32' as const, shape: [M, K], data: random.floats(M * K) }, b };
        const run = (backend: typeof gpu | typeof reference) =>
          runOn(backend, inputs, { dtype: 'f32', shape: [M, N] }, (be, t, out) => be.matmul({ out, a: t.a!, b: t.b!, transposeB: true }));
        expect(maxRelativeError(await run(gpu), await run(reference)), `${dtype} M=${M}`).toBeLessThan(1e-5);
      }
    }
  });

  it('matmulSwiglu with a split weight: each part applies the gate of its own columns', async () => {
    for (const [dtype, make] of Object.entries(WEIGHTS)) {
      const [N, K] = [150, 64];
      const b: HostTensor = { dtype: dtype as HostTensor['dtype'], shape: [N, K], data: make(N * K) };
      for (const M of [1, 6]) {
        const inputs = {
          a: { dtype: 'f32' as const, shape: [M, K], data: random.floats(M * K) },
          b,
          gate: { dtype: 'f32' as const, shape: [M, N], data: random.normals(M * N, 3) },
        };
        const run = (backend: typeof gpu | typeof reference) =>
          runOn(backend, inputs, { dtype: 'f32', shape: [M, N] }, (be, t, out) => be.matmulSwiglu({ out, a: t.a!, b: t.b!, gate: t.gate! }));
        expect(maxRelativeError(await run(gpu), await run(reference)), `${dtype} M=${M}`).toBeLessThan(1e-5);
      }
    }
  });

  it('embedding from a split table matches the reference, out-of-range ids included', async () => {
    for (const [dtype, make] of Object.entries(WEIGHTS)) {
      const [V, C] = [150, 64];
      const ids = new Int32Array([0, 149, 75, -1, 150, 3, 140]);
      const inputs = { table: { dtype: dtype as HostTensor['dtype'], shape: [V, C], data: make(V * C) }, ids: { dtype: 'i32' as const, shape: [ids.length], data: ids } };
      const run = (backend: typeof gpu | typeof reference) =>
        runOn(backend, inputs, { dtype: 'f32', shape: [ids.length, C] }, (be, t, out) => be.embedding({ out, table: t.table!, ids: t.ids! }));
      expect(Array.from(await run(gpu)), dtype).toEqual(Array.from(await run(reference)));
    }
  });

  it('refuses a split tensor where a kernel needs one binding, with ResourceLimitError', () => {
    const x = gpu.tensor('f32', [64, 64]);
    const out = gpu.tensor('f32', [64, 64]);
    expect(() => gpu.silu({ out, x })).toThrow(ResourceLimitError);
    gpu.free(x);
    gpu.free(out);
  });
});

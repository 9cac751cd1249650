import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { ResourceLimitError, ShapeMismatchError, TensorStateError } from './errors.js';
import { quantizeQ8_0 } from './numeric/quantize.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import { Random } from './testing/random.js';
import { TEST_BACKENDS } from './testing/test-backends.js';
import { createWebGPUBackend } from './webgpu/webgpu-backend.js';

/** `backend.reshape`: a view over the same storage, on every backend. */
const BACKENDS = [{ label: 'reference', create: async () => createReferenceBackend() as Backend }, ...TEST_BACKENDS];
const random = new Random(4242);

describe.each(BACKENDS)('reshape on $label', ({ create }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await create();
  });
  afterAll(() => backend?.dispose());

  it('reads the same elements under the new shape, and an op writing into the view writes the base', async () => {
    const [T, H, D] = [3, 4, 8];
    const data = random.floats(T * H * D);
    const rows = backend.tensor('f32', [T, H * D], data); // [T, H·D]
    const heads = backend.reshape(rows, [1, T, H, D]); // [1, T, H, D]
    expect(heads.shape).toEqual([1, T, H, D]);
    expect(Array.from((await backend.read(heads)) as Float32Array)).toEqual(Array.from(data));

    // scale into a view of another tensor: the result shows up in that tensor.
    const target = backend.tensor('f32', [T * H, D]);
    backend.scale({ out: backend.reshape(target, [1, T, H, D]), x: heads, factor: 2 });
    expect(Array.from((await backend.read(target)) as Float32Array)).toEqual(Array.from(data, (x) => Math.fround(x * 2)));
    backend.free(rows);
    backend.free(target);
  });

  it('views quantized weights with whole blocks per row', async () => {
    const weights = quantizeQ8_0(random.floats(4 * 64));
    const tensor = backend.tensor('q8_0', [4, 64], weights);
    const view = backend.reshape(tensor, [2, 2, 64]);
    expect(Array.from((await backend.read(view)) as Uint8Array)).toEqual(Array.from(weights));
    expect(() => backend.reshape(tensor, [16, 16])).toThrow(ShapeMismatchError); // rows of half a block
    backend.free(tensor);
  });

  it('freeing a view releases nothing; freeing the base ends the view', async () => {
    const base = backend.tensor('f32', [2, 6], random.floats(12));
    const view = backend.reshape(base, [3, 4]);
    const before = await backend.read(base);
    backend.free(view);
    expect(view.freed).toBe(true);
    expect(Array.from((await backend.read(base)) as Float32Array)).toEqual(Array.from(before as Float32Array));
    const other = backend.reshape(base, [12]);
    const viewOfView = backend.reshape(other, [4, 3]);
    expect(viewOfView.storageOwner).toBe(base);
    backend.free(base);
    expect(other.freed && viewOfView.freed).toBe(true);
    await expect(backend.read(viewOfView)).rejects.toThrow(TensorStateError);
    expect(() => backend.reshape(base, [12])).toThrow(TensorStateError);
  });

  it('refuses another element count, bad dimensions, and a view of an input as the output', () => {
    const x = backend.tensor('f32', [2, 6]);
    expect(() => backend.reshape(x, [5, 2])).toThrow(/reshape: shape should be 12 elements, as f32\[2, 6\] has, got \[5, 2\] \(10 elements\)/);
    expect(() => backend.reshape(x, [-2, -6])).toThrow(ShapeMismatchError);
    expect(() => backend.reshape(x, [2.5, 4.8])).toThrow(ShapeMismatchError);
    expect(() => backend.scale({ out: backend.reshape(x, [12]), x: backend.reshape(x, [3, 4]), factor: 2 })).toThrow(/a tensor distinct from the inputs/);
    // addRmsnorm updates `residual` in place: adding a view of it to itself is refused too.
    const [out, weight] = [backend.tensor('f32', [2, 6]), backend.tensor('f32', [6])];
    expect(() => backend.addRmsnorm({ residual: x, x: backend.reshape(x, [2, 6]), out, weight, eps: 1e-5 })).toThrow(/residual should be a tensor distinct from the inputs/);
    for (const t of [x, out, weight]) backend.free(t);
  });
});

describe('reshape of a WebGPU tensor split over storage bindings', () => {
  it('keeps its row length or is refused', async () => {
    const gpu = await createWebGPUBackend({ maxBindingBytes: 4096 });
    try {
      const data = random.floats(64 * 32);
      const weights = gpu.tensor('f32', [64, 32], data); // 8 KiB: two bindings of 32 rows
      const batched = gpu.reshape(weights, [1, 64, 32]);
      expect(Array.from((await gpu.read(batched)) as Float32Array)).toEqual(Array.from(data));
      expect(() => gpu.reshape(weights, [32, 64])).toThrow(ResourceLimitError);
    } finally {
      gpu.dispose();
    }
  });
});

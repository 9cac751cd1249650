import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import type { DType } from './dtype.js';
import { DTypeNotSupportedError, ResourceLimitError, ShapeMismatchError, TensorStateError } from './errors.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import { TEST_BACKENDS } from './testing/test-backends.js';

/** `backend.tensor` with what a caller's bug or a lying file could pass: every backend refuses it the same typed way. */
const BACKENDS = [{ label: 'reference', create: async () => createReferenceBackend() as Backend }, ...TEST_BACKENDS];

describe.each(BACKENDS)('$label backend.tensor', ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.dispose());

  it('refuses an unknown dtype, impossible dimensions and partial quantized blocks with typed errors', async () => {
    backend ??= await create();
    expect(() => backend.tensor('q5_1' as DType, [32])).toThrow(DTypeNotSupportedError);
    expect(() => backend.tensor('q5_1' as DType, [32])).toThrow(/use one of: f32, f16, bf16, q8_0, q4_0, i32/);
    for (const shape of [[-1], [2, 1.5], [Number.NaN], [2 ** 60]]) {
      expect(() => backend.tensor('f32', shape), `[${shape}]`).toThrow(ShapeMismatchError);
    }
    expect(() => backend.tensor('q8_0', [4, 48])).toThrow(/multiple of 32 for q8_0/);
    const empty = backend.tensor('f32', [0, 3]); // zero elements is a valid tensor
    expect(empty.size).toBe(0);
    backend.free(empty);
  });

  it('refuses a size no memory holds with a ResourceLimitError, and an op given a non-tensor with a TensorStateError', async () => {
    backend ??= await create();
    expect(() => backend.tensor('f32', [2 ** 40])).toThrow(ResourceLimitError);
    const t = backend.tensor('f32', [2, 2]);
    for (const out of [null, undefined, {}, 5]) {
      expect(() => backend.matmul({ out, a: t, b: t } as never), String(out)).toThrow(TensorStateError);
    }
    expect(() => backend.rmsnorm({} as never)).toThrow(/rmsnorm: a tensor argument is undefined/);
    backend.free(t);
  });
});

import { describe, expect, it } from 'vitest';
import { DTypeNotSupportedError, ShapeMismatchError, TensorStateError } from '../errors.js';
import { createReferenceBackend } from './reference-backend.js';

// Hand-computed values: the oracle itself must be checked against something other than itself.
describe('reference backend', () => {
  const backend = createReferenceBackend();
  const f32 = (shape: number[], values: number[]) => backend.tensor('f32', shape, new Float32Array(values));

  it('matmul, plain and with transposed B', async () => {
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = f32([3, 2], [7, 8, 9, 10, 11, 12]);
    const bt = f32([2, 3], [7, 9, 11, 8, 10, 12]);
    const out = backend.tensor('f32', [2, 2]);
    backend.matmul({ out, a, b, transposeB: false });
    expect([...(await backend.read(out))]).toEqual([58, 64, 139, 154]);
    backend.matmul({ out, a, b: bt, transposeB: true });
    expect([...(await backend.read(out))]).toEqual([58, 64, 139, 154]);
  });

  it('attention attends causally and shares kv heads between query heads', async () => {
    // one kv head, two query heads, D = 1, two positions
    const q = f32([1, 2, 2, 1], [0, 0, 0, 0]);
    const k = f32([1, 2, 1, 1], [1, 1]);
    const v = f32([1, 2, 1, 1], [2, 4]);
    const out = backend.tensor('f32', [1, 2, 2, 1]);
    backend.attention({ out, q, k, v, kvLength: 2, scale: 1 });
    // position 0 sees only v0; position 1 averages v0 and v1 (equal scores)
    expect([...(await backend.read(out))]).toEqual([2, 2, 3, 3]);
  });

  it('rope rotates interleaved and half-split pairs', async () => {
    const x = f32([1, 1, 1, 4], [1, 0, 1, 0]);
    const positions = backend.tensor('i32', [1, 1], new Int32Array([1]));
    const out = backend.tensor('f32', [1, 1, 1, 4]);
    backend.rope({ out, x, positions, theta: 10000, style: 'interleaved' });
    const interleaved = [...(await backend.read(out))];
    // pair 0 angle 1, pair 1 angle 10000^(-1/2) = 0.01
    expect(interleaved[0]).toBeCloseTo(Math.cos(1), 6);
    expect(interleaved[1]).toBeCloseTo(Math.sin(1), 6);
    expect(interleaved[2]).toBeCloseTo(Math.cos(0.01), 6);
    expect(interleaved[3]).toBeCloseTo(Math.sin(0.01), 6);
    backend.rope({ out, x: f32([1, 1, 1, 4], [1, 0, 0, 0]), positions, theta: 10000, style: 'half' });
    const half = [...(await backend.read(out))];
    // pairs (0, 2) with angle 1 and (1, 3) with angle 0.01
    expect(half[0]).toBeCloseTo(Math.cos(1), 6);
    expect(half[2]).toBeCloseTo(Math.sin(1), 6);
    expect(half[1]).toBeCloseTo(0, 6);
    expect(half[3]).toBeCloseTo(0, 6);
  });

  it('norms, softmax, activations, argmax', async () => {
    const x = f32([1, 4], [1, 2, 3, 4]);
    const out = backend.tensor('f32', [1, 4]);
    backend.rmsnorm({ out, x, weight: f32([4], [1, 1, 1, 2]), eps: 0 });
    const rms = Math.sqrt(30 / 4);
    expect([...(await backend.read(out))]).toEqual([1 / rms, 2 / rms, 3 / rms, 8 / rms].map(Math.fround));
    backend.layernorm({ out, x, weight: f32([4], [1, 1, 1, 1]), bias: f32([4], [0, 0, 0, 1]), eps: 0 });
    const std = Math.sqrt(1.25);
    expect([...(await backend.read(out))]).toEqual([-1.5 / std, -0.5 / std, 0.5 / std, 1.5 / std + 1].map(Math.fround));
    backend.softmax({ out, x });
    const e = [1, 2, 3, 4].map(Math.exp);
    const total = e.reduce((s, v) => s + v);
    expect([...(await backend.read(out))]).toEqual(e.map((v) => Math.fround(v / total)));
    const index = backend.tensor('i32', [1]);
    backend.argmax({ out: index, x: f32([1, 4], [3, 9, 9, 1]) });
    expect([...(await backend.read(index))]).toEqual([1]);
  });

  it('rejects wrong shapes, dtypes and freed tensors with typed errors', () => {
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const out = backend.tensor('f32', [2, 2]);
    expect(() => backend.matmul({ out, a, b: f32([4, 2], [0, 0, 0, 0, 0, 0, 0, 0]), transposeB: false })).toThrow(ShapeMismatchError);
    expect(() => backend.matmul({ out, a, b: backend.tensor('f16', [3, 2]), transposeB: false })).toThrow(DTypeNotSupportedError);
    expect(() => backend.silu({ out: a, x: a })).toThrow(ShapeMismatchError);
    const freed = backend.tensor('f32', [2, 3]);
    backend.free(freed);
    expect(() => backend.silu({ out: freed, x: a })).toThrow(TensorStateError);
  });

  it('ropeAppend names what is wrong: the cache range, the cache dtypes, aliased outputs', () => {
    const [B, T, S, H, KV, D] = [1, 2, 4, 2, 1, 4];
    const params = {
      qOut: backend.tensor('f32', [B, T, H, D]),
      q: backend.tensor('f32', [B, T, H, D]),
      k: backend.tensor('f32', [B, T, KV, D]),
      v: backend.tensor('f32', [B, T, KV, D]),
      keyCache: backend.tensor('f16', [B, S, KV, D]),
      valueCache: backend.tensor('f16', [B, S, KV, D]),
      positions: backend.tensor('i32', [B, T]),
      start: 2,
      theta: 10000,
      style: 'half' as const,
    };
    expect(() => backend.ropeAppend(params)).not.toThrow();
    expect(() => backend.ropeAppend({ ...params, start: 3 })).toThrow(/start should be an integer in \[0, S − T\] = \[0, 2\]/);
    expect(() => backend.ropeAppend({ ...params, start: -1 })).toThrow(ShapeMismatchError);
    expect(() => backend.ropeAppend({ ...params, valueCache: backend.tensor('f32', [B, S, KV, D]) })).toThrow(DTypeNotSupportedError);
    expect(() => backend.ropeAppend({ ...params, valueCache: params.keyCache })).toThrow(/valueCache should be a tensor distinct from the inputs/);
    expect(() => backend.ropeAppend({ ...params, qOut: backend.reshape(params.q, [B, T, H, D]) })).toThrow(/qOut/);
    expect(() => backend.ropeAppend({ ...params, keyCache: backend.tensor('f16', [B, S, KV, D + 2]), valueCache: backend.tensor('f16', [B, S, KV, D + 2]) })).toThrow(
      ShapeMismatchError,
    );
    expect(() => backend.ropeAppend({ ...params, k: backend.tensor('f32', [B, T, 2, D]) })).toThrow(/k should be \[1, 2, 1, 4\]/);
  });
});

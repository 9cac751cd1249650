import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeMatmulModel } from './onnx-model.js';

/** The hand-encoded protobuf is only right if ONNX Runtime loads it and multiplies correctly. */
describe('encodeMatmulModel', () => {
  const M = 2;
  const K = 3;
  const N = 2;
  const a = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2, 3]

  async function run(transposeB: boolean, weights: Float32Array): Promise<number[]> {
    const session = await ort.InferenceSession.create(encodeMatmulModel({ M, K, N, transposeB, weights }));
    const result = await session.run({ a: new ort.Tensor('float32', a, [M, K]) });
    await session.release();
    return Array.from(result['y']!.data as Float32Array);
  }

  it('builds a MatMul with B [K, N]', async () => {
    const b = Float32Array.from([1, 0, 0, 1, 1, 1]); // [3, 2]
    expect(await run(false, b)).toEqual([4, 5, 10, 11]);
  });

  it('builds a Gemm(transB) with W [N, K]', async () => {
    const w = Float32Array.from([1, 0, 1, 0, 1, 1]); // [2, 3]
    expect(await run(true, w)).toEqual([4, 5, 10, 11]);
  });

  it('refuses weights of the wrong size', () => {
    expect(() => encodeMatmulModel({ M, K, N, transposeB: false, weights: new Float32Array(5) })).toThrow(/expected K·N = 6/);
  });
});

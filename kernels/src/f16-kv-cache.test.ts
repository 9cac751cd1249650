import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import type { DType } from './dtype.js';
import { f32ToF16Bits, toF16 } from './numeric/half.js';
import type { RopeStyle } from './ops.js';
import type { Tensor } from './tensor.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import { Random } from './testing/random.js';
import { TEST_BACKENDS } from './testing/test-backends.js';

/**
 * An f16 KV cache at its edges, which random normal data never reaches: subnormal halves, the
 * largest finite ones, and inf / NaN (a model whose keys overflowed f16). Every backend must read
 * them as the reference does — wasm widens with a shortcut that would turn inf and NaN finite and
 * redoes such rows exactly, so these cases are the only ones that exercise that path.
 */
const reference = createReferenceBackend();
afterAll(() => reference.dispose());

// 8 heads over one KV head: the whole group in one wasm unit. D = 16 takes the 8-wide path only,
// D = 12 ends in a scalar tail.
const [T, S, KV_LENGTH, N_HEADS] = [3, 7, 6, 8];

function cache(random: Random, D: number, edit: (values: Float32Array) => void): Uint16Array {
  const values = random.normals(S * D);
  edit(values);
  return toF16(values);
}

const CASES = [
  ['subnormal and largest finite halves', (values: Float32Array) => {
    values[1] = 2 ** -24;
    values[2] = -(2 ** -20);
    values[3] = 65504;
    values[5] = -65504;
  }],
  ['an infinite value', (values: Float32Array) => {
    values[7] = Infinity;
  }],
  ['a NaN', (values: Float32Array) => {
    values[9] = NaN;
  }],
  ['a value past f16 (rounds to -inf)', (values: Float32Array) => {
    values[10] = -70000;
  }],
] as const;

async function attend(backend: Backend, D: number, q: Float32Array, k: Uint16Array, v: Uint16Array): Promise<Float32Array> {
  const tensors = [
    backend.tensor('f32', [1, T, N_HEADS, D], q),
    backend.tensor('f16', [1, S, 1, D], k),
    backend.tensor('f16', [1, S, 1, D], v),
    backend.tensor('f32', [1, T, N_HEADS, D]),
  ] as const;
  try {
    backend.attention({ q: tensors[0], k: tensors[1], v: tensors[2], out: tensors[3], kvLength: KV_LENGTH, scale: 1 / Math.sqrt(D) });
    return (await backend.read(tensors[3])) as Float32Array;
  } finally {
    for (const tensor of tensors) backend.free(tensor);
  }
}

function expectSameValues(actual: Float32Array, expected: Float32Array, label: string): void {
  for (let i = 0; i < expected.length; i++) {
    const [got, want] = [actual[i]!, expected[i]!];
    if (Number.isFinite(want)) expect(Math.abs(got - want), `${label}: output ${i}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want)));
    else expect(got, `${label}: output ${i}`).toBe(want); // toBe: NaN equals NaN, inf keeps its sign
  }
}

describe.each(TEST_BACKENDS)('$label backend, f16 KV cache edges', ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.dispose());

  it.each([16, 12])('attention over keys and values with edge halves (D = %i) reads them as the reference does', async (D) => {
    backend ??= await create();
    const random = new Random(D);
    for (const [label, edit] of CASES) {
      const q = random.normals(T * N_HEADS * D);
      for (const edited of ['keys', 'values'] as const) {
        const k = cache(random, D, edited === 'keys' ? edit : () => {});
        const v = cache(random, D, edited === 'values' ? edit : () => {});
        expectSameValues(await attend(backend, D, q, k, v), await attend(reference, D, q, k, v), `${label} in the ${edited}`);
      }
    }
  });

  it('copy rounds f32 into f16 as the reference does, at any offset', async () => {
    backend ??= await create();
    const values = Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 65520, -1e6, 2 ** -25, 3 * 2 ** -26, 1e-10, -0, Infinity, NaN, 0.1]);
    const x = backend.tensor('f32', [values.length], values);
    const out = backend.tensor('f16', [values.length + 3]);
    try {
      backend.copy({ out, x, outOffset: 3 });
      const bits = Array.from((await backend.read(out)) as Uint16Array).slice(3);
      expect(bits).toEqual(Array.from(values, f32ToF16Bits));
    } finally {
      backend.free(x);
      backend.free(out);
    }
  });

  it.each([
    ['f16', 'half', 12],
    ['f16', 'interleaved', 16],
    ['f32', 'half', 16],
    ['f32', 'interleaved', 12],
  ] as const)('ropeAppend into an %s cache (%s, D = %i) writes the bits rope + copy write', async (cacheType, style, D) => {
    backend ??= await create();
    const [fused, unfused] = await Promise.all([appendFused(backend, cacheType, style, D), appendUnfused(backend, cacheType, style, D)]);
    expect(fused[0], 'qOut').toEqual(unfused[0]);
    expect(fused[1], 'keyCache').toEqual(unfused[1]);
    expect(fused[2], 'valueCache').toEqual(unfused[2]);
  });
});

// Two sequences of 3 tokens appended at position 5 of a 9-position cache with 2 KV heads; keys and
// values carry f16's edges (rounding ties, overflow, subnormals, inf, NaN) among normals.
const APPEND = { B: 2, T: 3, S: 9, H: 4, KV: 2, start: 5, theta: 10000 };
const EDGES = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 65520, -1e6, 2 ** -25, 3 * 2 ** -26, 1e-10, -0, Infinity, NaN, 0.1];

function appendInputs(D: number, cacheType: DType) {
  const { B, T, S, H, KV, start } = APPEND;
  const random = new Random(D * 7 + cacheType.length);
  const withEdges = (count: number) => {
    const values = random.normals(count);
    EDGES.forEach((edge, i) => (values[(i * 5) % count] = edge));
    return values;
  };
  const cacheValues = random.normals(B * S * KV * D);
  return {
    q: random.normals(B * T * H * D),
    k: withEdges(B * T * KV * D),
    v: withEdges(B * T * KV * D),
    positions: Int32Array.from([start, start + 1, start + 2, 3000, 3001, 3002]),
    cache: cacheType === 'f16' ? toF16(cacheValues) : cacheValues,
  };
}

interface AppendTensors {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  positions: Tensor;
  qOut: Tensor;
  keyCache: Tensor;
  valueCache: Tensor;
}

/** Uploads the inputs, runs `append` on them and reads qOut and both caches back as u32 words. */
async function appendWith(backend: Backend, cacheType: DType, D: number, append: (t: AppendTensors) => void): Promise<number[][]> {
  const { B, T, S, H, KV } = APPEND;
  const inputs = appendInputs(D, cacheType);
  const t: AppendTensors = {
    q: backend.tensor('f32', [B, T, H, D], inputs.q),
    k: backend.tensor('f32', [B, T, KV, D], inputs.k),
    v: backend.tensor('f32', [B, T, KV, D], inputs.v),
    positions: backend.tensor('i32', [B, T], inputs.positions),
    qOut: backend.tensor('f32', [B, T, H, D]),
    keyCache: backend.tensor(cacheType, [B, S, KV, D], inputs.cache),
    valueCache: backend.tensor(cacheType, [B, S, KV, D], inputs.cache),
  };
  try {
    append(t);
    return [await backend.read(t.qOut), await backend.read(t.keyCache), await backend.read(t.valueCache)].map(words);
  } finally {
    for (const tensor of Object.values(t)) backend.free(tensor);
  }
}

function appendFused(backend: Backend, cacheType: DType, style: RopeStyle, D: number): Promise<number[][]> {
  const { start, theta } = APPEND;
  return appendWith(backend, cacheType, D, (t) => backend.ropeAppend({ ...t, start, theta, style }));
}

/** The same through rope, rope and a copy per sequence and cache. */
function appendUnfused(backend: Backend, cacheType: DType, style: RopeStyle, D: number): Promise<number[][]> {
  const { B, T, S, KV, start, theta } = APPEND;
  return appendWith(backend, cacheType, D, ({ q, k, v, positions, qOut, keyCache, valueCache }) => {
    const kRotated = backend.tensor('f32', [B, T, KV, D]);
    backend.rope({ out: qOut, x: q, positions, theta, style });
    backend.rope({ out: kRotated, x: k, positions, theta, style });
    const row = KV * D;
    for (let b = 0; b < B; b++) {
      backend.copy({ out: keyCache, x: kRotated, xOffset: b * T * row, count: T * row, outOffset: (b * S + start) * row });
      backend.copy({ out: valueCache, x: v, xOffset: b * T * row, count: T * row, outOffset: (b * S + start) * row });
    }
    backend.free(kRotated);
  });
}

/** The read's bytes as u32 words, an odd f16 tail padded with zeros (so NaN payloads and signed zeros count). */
function words(values: ArrayBufferView): number[] {
  const bytes = new Uint8Array(Math.ceil(values.byteLength / 4) * 4);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return Array.from(new Uint32Array(bytes.buffer));
}

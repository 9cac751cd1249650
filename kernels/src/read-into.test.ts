import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInto, type Backend } from './backend.js';
import { ShapeMismatchError } from './errors.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import { createWasmBackend } from './wasm/create-wasm-backend.js';
import type { WasmBackend } from './wasm/wasm-backend.js';

/** Reading a tensor into a caller's array (no new array per read) on each host-memory backend and through the fallback. */
describe('readInto', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await createWasmBackend({ threads: 2 });
  });
  afterAll(() => wasm.dispose());

  const values = Float32Array.from({ length: 37 }, (_, i) => i * 0.5 - 3);
  const backends = (): [string, Backend][] => [
    ['reference', createReferenceBackend()],
    ['wasm', wasm],
    // A backend without readInto: the helper reads and copies.
    ['fallback', { read: (tensor) => wasm.read(tensor), tensor: (...args) => wasm.tensor(...args) } as Pick<Backend, 'read' | 'tensor'> as Backend],
  ];

  it.each(['reference', 'wasm', 'fallback'])('%s: fills the given array (also a view into a larger buffer) and returns it', async (name) => {
    const backend = backends().find(([label]) => label === name)![1];
    const tensor = backend.tensor('f32', [37], values);
    const target = new Float32Array(40).subarray(2, 39);
    expect(await readInto(backend, tensor, target)).toBe(target);
    expect(Array.from(target)).toEqual(Array.from(values));
    const ids = backend.tensor('i32', [3], Int32Array.of(7, -8, 9));
    expect(Array.from(await readInto(backend, ids, new Int32Array(3)))).toEqual([7, -8, 9]);
  });

  it('refuses a target of another size, naming both sizes', async () => {
    const tensor = wasm.tensor('f32', [37], values);
    await expect(readInto(wasm, tensor, new Float32Array(36))).rejects.toThrow(ShapeMismatchError);
    await expect(wasm.readInto(tensor, new Float32Array(38))).rejects.toThrow(/148 bytes.*152 bytes/);
  });
});

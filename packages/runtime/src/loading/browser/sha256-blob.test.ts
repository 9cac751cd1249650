import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './sha256-blob.js';

const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 131 + (i >> 7)) & 0xff);
const expected = createHash('sha256').update(bytes).digest('hex');

describe('sha256Hex', () => {
  it('hashes small files in one WebCrypto call and big ones a slice at a time, to the same digest', async () => {
    const blob = new Blob([bytes]);
    expect(await sha256Hex(blob)).toBe(expected);
    // Slices that do not divide the size, and a slice bigger than the file.
    for (const sliceBytes of [4096, 7777, 1 << 20]) expect(await sha256Hex(blob, { oneShotBytes: 0, sliceBytes })).toBe(expected);
    expect(await sha256Hex(new Blob([]), { oneShotBytes: -1 })).toBe(createHash('sha256').digest('hex'));
  });

  it('reports progress per slice and stops on abort', async () => {
    const progress: number[] = [];
    await sha256Hex(new Blob([bytes]), { oneShotBytes: 0, sliceBytes: 40_000, onProgress: (hashed, total) => progress.push(hashed / total) });
    expect(progress).toEqual([40_000 / 100_003, 80_000 / 100_003, 1]);
    const controller = new AbortController();
    controller.abort();
    await expect(sha256Hex(new Blob([bytes]), { oneShotBytes: 0, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

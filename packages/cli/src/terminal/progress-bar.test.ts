import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatBytes } from './progress-bar.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = Object.assign(new Writable({ write: (chunk, _encoding, done) => (writes.push(String(chunk)), done()) }), { isTTY, columns: 100 });
  return { stream, writes };
}

const steps = (phase: string, total: number) => Array.from({ length: 21 }, (_, i) => ({ phase, loadedBytes: (total * i) / 20, totalBytes: total, item: `tensor.${i}` }));

describe('load progress', () => {
  it('on a terminal redraws one line in place and clears it when done', async () => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgressReporter(stream);
    for (const step of steps('upload', 4 << 20)) progress.update(step);
    progress.done();
    await new Promise((resolve) => setImmediate(resolve));
    // Throttled: the first draw and the 100% draw, not all 21 updates.
    expect(writes.length).toBeLessThan(5);
    expect(writes.every((write) => write.startsWith('\r\x1b[2K'))).toBe(true);
    expect(writes.at(-2)).toContain('100% 4.0 MiB/4.0 MiB  tensor.20');
    expect(writes.at(-1)).toBe('\r\x1b[2K');
  });

  it('elsewhere writes a plain line per phase and quarter', async () => {
    const { stream, writes } = fakeStream(false);
    const progress = createProgressReporter(stream);
    for (const step of [...steps('read', 2048), ...steps('upload', 4096)]) progress.update(step);
    progress.done();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([
      'loading: read 0% (0 B/2.0 KiB)\n',
      'loading: read 25% (512 B/2.0 KiB)\n',
      'loading: read 50% (1.0 KiB/2.0 KiB)\n',
      'loading: read 75% (1.5 KiB/2.0 KiB)\n',
      'loading: read 100% (2.0 KiB/2.0 KiB)\n',
      'loading: upload 0% (0 B/4.0 KiB)\n',
      'loading: upload 25% (1.0 KiB/4.0 KiB)\n',
      'loading: upload 50% (2.0 KiB/4.0 KiB)\n',
      'loading: upload 75% (3.0 KiB/4.0 KiB)\n',
      'loading: upload 100% (4.0 KiB/4.0 KiB)\n',
    ]);
  });

  it('formats sizes', () => {
    expect([formatBytes(12), formatBytes(1536), formatBytes(135 * 1024 * 1024), formatBytes(3 * 1024 ** 3)]).toEqual(['12 B', '1.5 KiB', '135 MiB', '3.0 GiB']);
  });
});

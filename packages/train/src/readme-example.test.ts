import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The README's fine-tune example must run as written against the built packages, and learn.
it('the README fine-tune example runs and its loss falls', () => {
  const root = join(import.meta.dirname, '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'README.md has a ```js block').toBeTruthy();
  const script = join(root, '.readme-example.mjs');
  writeFileSync(script, code!);
  try {
    const output = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script], { encoding: 'utf8', timeout: 120_000 });
    const losses = [...output.matchAll(/step \d+ loss (\d+\.\d+)/g)].map((match) => Number(match[1]));
    expect(losses).toHaveLength(2);
    expect(losses[1]!).toBeLessThan(losses[0]! / 2);
    const written = /wrote (\S+)/.exec(output)?.[1];
    expect(written).toBeTruthy();
    rmSync(written!, { recursive: true, force: true });
  } finally {
    rmSync(script, { force: true });
  }
});

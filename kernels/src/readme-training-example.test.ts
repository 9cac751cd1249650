import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The README's training example must run as written against the built package, and learn.
it('the README training example runs and its loss falls', () => {
  const root = join(import.meta.dirname, '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Training ops'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'README.md has a ```js block under "## Training ops"').toBeTruthy();
  const script = join(root, '.readme-training-example.mjs');
  writeFileSync(script, code!);
  try {
    const output = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script], { encoding: 'utf8', timeout: 60_000 });
    const losses = [...output.matchAll(/step \d+ loss (\d+\.\d+)/g)].map((match) => Number(match[1]));
    expect(losses).toHaveLength(2);
    expect(losses[1]!).toBeLessThan(losses[0]! / 2);
  } finally {
    rmSync(script, { force: true });
  }
});

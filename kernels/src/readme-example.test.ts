import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The README's usage example must run as written against the built package.
it('the README usage example runs', () => {
  const root = join(import.meta.dirname, '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'README.md has a ```js usage block').toBeTruthy();
  const script = join(root, '.readme-example.mjs'); // inside the package, so '@cria/kernels' resolves to itself
  writeFileSync(script, code!);
  try {
    const output = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script], { encoding: 'utf8', timeout: 60_000 });
    expect(output).toMatch(/argmax per row: Int32Array\(2\) \[ \d+, \d+ \]/);
  } finally {
    rmSync(script, { force: true });
  }
});

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The README's formats example must run as written against the built package (turbo builds before tests).
it('the README formats example runs', () => {
  const root = join(import.meta.dirname, '..');
  const code = /```js\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'))?.[1];
  expect(code, 'README.md has a ```js example').toBeTruthy();
  const script = join(root, '.readme-example.mjs'); // inside the package, so '@cria/runtime' resolves to itself
  writeFileSync(script, code!);
  try {
    const output = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
    expect(output).toMatch(/^1\n[\s\S]*q8_0 272\n0\.84\n$/);
  } finally {
    rmSync(script, { force: true });
  }
});

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeTestModels, type TestModelFiles } from './testing/test-model-files.js';

// The README's examples must run as written against the built package (turbo builds before tests).
const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```js block under a README heading. */
function example(heading: string): string {
  const code = new RegExp(`## ${heading}\\n[\\s\\S]*?\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  expect(code, `README.md has a \`\`\`js example under "## ${heading}"`).toBeTruthy();
  return code!;
}

/** Runs code as a module inside the package, so '@cria/runtime' resolves to itself. */
function runExample(name: string, code: string, args: string[] = []): string {
  const script = join(root, `.readme-${name}.mjs`);
  writeFileSync(script, code);
  try {
    return execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(script, { force: true });
  }
}

let files: TestModelFiles;
beforeAll(async () => {
  files = await writeTestModels();
});
afterAll(() => files?.remove());

it('the README formats example runs', () => {
  expect(runExample('formats', example('Formats API'))).toMatch(/^1\n[\s\S]*q8_0 272\n0\.84\n$/);
});

it('the README "load and chat" example runs on a test model', () => {
  const output = runExample('chat', example('Load and chat'), [join(files.llama, 'model-q8_0.gguf')]);
  expect(output).toMatch(/\n\d+ tokens, \d+ tok\/s on (wasm|webgpu)/);
});

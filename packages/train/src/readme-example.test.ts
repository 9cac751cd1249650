import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// Every ```js block of the README must run as written against the built packages, each under its heading.
const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => {
  const heading = [...readme.slice(0, match.index).matchAll(/^#+ (.+)$/gm)].at(-1)?.[1] ?? 'README';
  return { heading, code: match[1]! };
});

function runBlock(code: string, name: string): string {
  const script = join(root, `.readme-example-${name}.mjs`);
  writeFileSync(script, code);
  try {
    return execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script], { encoding: 'utf8', timeout: 120_000 });
  } finally {
    rmSync(script, { force: true });
  }
}

it('the README has the fine-tune and the LoRA examples as ```js blocks', () => {
  expect(blocks.map((block) => block.heading)).toEqual(['Fine-tune a model', 'LoRA and QLoRA']);
});

it('"Fine-tune a model" runs and its loss falls', () => {
  const output = runBlock(blocks.find((block) => block.heading === 'Fine-tune a model')!.code, 'fine-tune');
  const losses = [...output.matchAll(/step \d+ loss (\d+\.\d+)/g)].map((match) => Number(match[1]));
  expect(losses).toHaveLength(2);
  expect(losses[1]!).toBeLessThan(losses[0]! / 2);
  const written = /wrote (\S+)/.exec(output)?.[1];
  expect(written).toBeTruthy();
  rmSync(written!, { recursive: true, force: true });
});

it('"LoRA and QLoRA" runs: the adapter learns, and reloads on a GGUF base with the trained loss', () => {
  const output = runBlock(blocks.find((block) => block.heading === 'LoRA and QLoRA')!.code, 'lora');
  const losses = [...output.matchAll(/lora step \d+ loss (\d+\.\d+)/g)].map((match) => Number(match[1]));
  expect(losses).toHaveLength(2);
  expect(losses[1]!).toBeLessThan(losses[0]! / 2);
  const reloaded = Number(/reloaded adapter on the GGUF base: loss (\d+\.\d+)/.exec(output)?.[1]);
  expect(reloaded).toBeLessThan(losses[0]! / 2);
});

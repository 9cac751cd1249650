// Builds @cria/tokenizer: the ESM bundles (dist/index.js, and dist/corpus.js: the deterministic
// multilingual test corpus, for benchmarks; @huggingface/jinja left as a dependency) and the type
// declarations.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: { index: join(root, 'src/index.ts'), corpus: join(root, 'src/testing/corpus.ts') },
  outdir: join(root, 'dist'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  external: ['@huggingface/jinja'],
  logLevel: 'warning',
});

execFileSync(process.execPath, [join(root, '../../node_modules/typescript/bin/tsc'), '-p', root, '--emitDeclarationOnly', '--declaration'], {
  stdio: 'inherit',
});

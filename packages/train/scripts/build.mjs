// Builds @cria/train: the ESM bundle (dist/index.js, the other @cria packages left as dependencies) and the
// type declarations.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: { index: join(root, 'src/index.ts') },
  outdir: join(root, 'dist'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  external: ['node:*', '@cria/kernels', '@cria/runtime', '@cria/tokenizer'],
  logLevel: 'warning',
});

execFileSync(process.execPath, [join(root, '../../node_modules/typescript/bin/tsc'), '-p', root, '--emitDeclarationOnly', '--declaration'], {
  stdio: 'inherit',
});

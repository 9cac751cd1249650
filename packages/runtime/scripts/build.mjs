// Builds @cria/runtime: the ESM bundle (dist/index.js, @cria/kernels and @cria/tokenizer left as dependencies) and the
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
  // Node-only modules (file sources, the test-model writer) are imported lazily, so the bundle loads in browsers.
  external: ['node:*', '@cria/kernels', '@cria/tokenizer', '@noble/hashes', '@noble/hashes/*'],
  logLevel: 'warning',
});

execFileSync(process.execPath, [join(root, '../../node_modules/typescript/bin/tsc'), '-p', root, '--emitDeclarationOnly', '--declaration'], {
  stdio: 'inherit',
});

// Builds @cria/kernels: the AssemblyScript kernels (twice: simd, simd + relaxed-simd), then the
// ESM bundle (WGSL inlined as text) and the type declarations.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildWasm } from './build-wasm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'build'), { recursive: true });

await buildWasm(root);

await build({
  // `testing` is the op harness (case generators, scoring), exported as @cria/kernels/testing for the demo.
  entryPoints: { index: join(root, 'src/index.ts'), testing: join(root, 'src/testing/index.ts') },
  outdir: join(root, 'dist'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  loader: { '.wgsl': 'text', '.wasm': 'binary' },
  // Node-only modules are imported lazily by the backends that need them.
  external: ['node:*', 'webgpu'],
  logLevel: 'warning',
});

execFileSync(process.execPath, [join(root, '../node_modules/typescript/bin/tsc'), '-p', root, '--emitDeclarationOnly', '--declaration'], {
  stdio: 'inherit',
});

// Builds the `cria` command: one ESM file (dist/cli.js) with a shebang, for Node. The workspace
// packages (@cria/runtime, @cria/kernels) stay external dependencies, so the CLI runs the same
// published builds a library user gets; node builtins are external by platform.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/cli.js');

await build({
  entryPoints: [join(root, 'src/cli.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['@cria/*'],
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});

chmodSync(outfile, 0o755);

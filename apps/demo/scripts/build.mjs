// Builds the demo page into apps/demo/dist: the TypeScript bundled for the browser by esbuild
// (with @cria/kernels, @cria/runtime and @cria/train from their published bundles, dist/index.js), plus the HTML and CSS.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildDemo({ quiet = false } = {}) {
  const outdir = join(root, 'dist');
  mkdirSync(outdir, { recursive: true });
  await build({
    // The page, and the module workers the chat engine and the fine-tunes run in.
    entryPoints: { main: join(root, 'src/main.ts'), 'engine-worker': join(root, 'src/chat/engine-worker.ts'), 'train-worker': join(root, 'src/train/train-worker.ts') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // WebGPU shipped in Chrome 113; nothing older can run the interesting half of the page.
    target: ['chrome113', 'firefox121', 'safari17'],
    sourcemap: true,
    loader: { '.wgsl': 'text', '.wasm': 'binary' },
    // The kernels' Node paths import these lazily (Dawn bindings, worker_threads); a browser never
    // reaches those imports, so they stay as unresolved dynamic imports.
    external: ['webgpu', 'node:*', 'worker_threads'],
    logLevel: quiet ? 'error' : 'warning',
  });
  for (const file of ['index.html', 'styles.css']) copyFileSync(join(root, 'src', file), join(outdir, file));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outdir = await buildDemo();
  console.log(`demo built into ${outdir}`);
}

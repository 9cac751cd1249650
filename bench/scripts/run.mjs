// Runs a benchmark suite: bundles src/main.ts with esbuild (Node 20 cannot run TypeScript itself),
// then runs the bundle in a fresh Node with relaxed SIMD enabled and, when no Vulkan driver is
// chosen and SwiftShader is installed, WebGPU on the CPU through SwiftShader.
// Usage: node scripts/run.mjs <suite> [--quick] [--only impl,...] [--out dir]
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// One bundle per run, so two suites started side by side never rewrite each other's file.
const bundle = join(root, 'dist', `main-${process.pid}.mjs`);
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const kernelsBundle = join(root, '..', 'kernels', 'dist', 'index.js');
if (!existsSync(kernelsBundle)) {
  console.error(`bench: ${kernelsBundle} is missing — the bench measures the built package.\nHint: run \`npm run build -w @cria/kernels\` (or \`npm run bench -- <suite>\` from the repo root, which builds first).`);
  process.exit(1);
}

await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: bundle,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Peers and @cria/kernels load from node_modules as users get them (native addons, wasm files).
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});

const env = { ...process.env };
if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const result = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--enable-source-maps', bundle, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
});
rmSync(bundle, { force: true });
process.exit(result.status ?? 1);

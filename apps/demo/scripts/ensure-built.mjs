// Makes sure what the demo serves exists and is fresh: the @cria/kernels bundle (rebuilt when its
// sources are newer than dist/) and the demo bundle (always rebuilt: esbuild takes well under a second).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemo } from './build.mjs';

const demoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const kernelsRoot = join(demoRoot, '../../kernels');
const KERNEL_OUTPUTS = ['dist/index.js', 'dist/testing.js'];
const KERNEL_SOURCES = ['src', 'wgsl', 'assembly', 'scripts', 'package.json'];

function newestModification(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry)));
  return newest;
}

/** Why the kernels need a build, or undefined when dist/ is up to date. */
function kernelsBuildReason() {
  const outputs = KERNEL_OUTPUTS.map((file) => join(kernelsRoot, file));
  const missing = outputs.find((file) => !existsSync(file));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const sources = Math.max(...KERNEL_SOURCES.map((path) => newestModification(join(kernelsRoot, path))));
  return sources > built ? 'kernels/ sources changed since the last build' : undefined;
}

export async function ensureBuilt({ log = console.log } = {}) {
  const reason = kernelsBuildReason();
  if (reason) {
    log(`building @cria/kernels (${reason}): node kernels/scripts/build.mjs`);
    try {
      execFileSync(process.execPath, [join(kernelsRoot, 'scripts/build.mjs')], { cwd: kernelsRoot, stdio: 'inherit' });
    } catch {
      throw new Error('building @cria/kernels failed (see above); fix it, or run `npm run build -w @cria/kernels` to see the error alone');
    }
  }
  return buildDemo({ quiet: true });
}

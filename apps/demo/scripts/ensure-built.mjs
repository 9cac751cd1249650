// Makes sure what the demo serves exists and is fresh: the @cria/kernels, @cria/tokenizer,
// @cria/runtime and @cria/train bundles (each rebuilt when its sources are newer than its dist/), the demo bundle
// (always rebuilt: esbuild takes well under a second), and the built-in chat model, a tiny
// random-weight model the project generates itself (nothing is ever downloaded).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemo } from './build.mjs';

const demoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repositoryRoot = join(demoRoot, '../..');

/** Built in dependency order: the runtime bundles against the kernels' and tokenizer's declarations. */
const PACKAGES = [
  { name: '@cria/kernels', root: join(repositoryRoot, 'kernels'), outputs: ['dist/index.js', 'dist/testing.js'], sources: ['src', 'wgsl', 'assembly', 'scripts', 'package.json'] },
  { name: '@cria/tokenizer', root: join(repositoryRoot, 'packages/tokenizer'), outputs: ['dist/index.js'], sources: ['src', 'scripts', 'package.json'] },
  { name: '@cria/runtime', root: join(repositoryRoot, 'packages/runtime'), outputs: ['dist/index.js'], sources: ['src', 'scripts', 'package.json'] },
  { name: '@cria/train', root: join(repositoryRoot, 'packages/train'), outputs: ['dist/index.js'], sources: ['src', 'scripts', 'package.json'] },
];

/** The model the Chat tab loads by default: served from dist/models/ (HF form and a Q8_0 GGUF). */
export const DEFAULT_MODEL_DIRECTORY = 'models/tiny-llama';

function newestModification(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry.endsWith('.test.ts')) continue; // tests are not in the bundle
    newest = Math.max(newest, newestModification(join(path, entry)));
  }
  return newest;
}

/** Why the package needs a build, or undefined when dist/ is up to date. */
function buildReason(spec) {
  const outputs = spec.outputs.map((file) => join(spec.root, file));
  const missing = outputs.find((file) => !existsSync(file));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const sources = Math.max(...spec.sources.map((path) => newestModification(join(spec.root, path))));
  return sources > built ? 'its sources changed since the last build' : undefined;
}

function run(description, script, args, cwd) {
  try {
    execFileSync(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    throw new Error(`${description} failed (see above); run \`node ${script} ${args.join(' ')}\` to see the error alone`);
  }
}

/** Writes the default chat model into dist/models/ unless it is there and newer than the runtime build. */
function ensureDefaultModel(outdir, log) {
  const directory = join(outdir, DEFAULT_MODEL_DIRECTORY);
  const marker = join(directory, 'hf', 'model.safetensors');
  const runtimeBuilt = statSync(join(repositoryRoot, 'packages/runtime/dist/index.js')).mtimeMs;
  if (existsSync(marker) && statSync(marker).mtimeMs >= runtimeBuilt) return;
  log(`generating the built-in chat model into ${directory}`);
  const script = join(repositoryRoot, 'packages/runtime/scripts/make-test-model.mjs');
  run('generating the default model', script, ['--out', directory, '--gguf', 'q8_0'], repositoryRoot);
}

export async function ensureBuilt({ log = console.log } = {}) {
  for (const spec of PACKAGES) {
    const reason = buildReason(spec);
    if (!reason) continue;
    log(`building ${spec.name} (${reason}): node scripts/build.mjs`);
    run(`building ${spec.name}`, join(spec.root, 'scripts/build.mjs'), [], spec.root);
  }
  const outdir = await buildDemo({ quiet: true });
  ensureDefaultModel(outdir, log);
  return outdir;
}

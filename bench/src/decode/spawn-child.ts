import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildRequest, ChildResult } from './child-protocol.js';

/**
 * Runs decode-child.ts in fresh Node processes. The child is bundled with esbuild into bench/dist
 * (Node 20 cannot run TypeScript; packages stay external, so @cria/* and node-llama-cpp load from
 * node_modules as they do for users), once per suite run. The same code path serves `npm run bench`
 * (itself a bundle in bench/dist) and vitest (the TypeScript source).
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface ChildRunner {
  run(request: ChildRequest, options: { timeoutMs: number; log: (line: string) => void }): Promise<ChildResult>;
  dispose(): void;
}

export async function startChildRunner(): Promise<ChildRunner> {
  const root = benchRoot();
  const bundle = join(root, 'dist', `decode-child-${process.pid}.mjs`);
  mkdirSync(dirname(bundle), { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'src', 'decode', 'decode-child.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  const env = { ...process.env };
  if (!env['VK_ICD_FILENAMES'] && existsSync(SWIFTSHADER_ICD)) env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  return {
    run: (request, options) => runChild(bundle, env, request, options.timeoutMs, options.log),
    dispose: () => rmSync(bundle, { force: true }),
  };
}

function runChild(bundle: string, env: NodeJS.ProcessEnv, request: ChildRequest, timeoutMs: number, log: (line: string) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', bundle, JSON.stringify(request)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => {
      // Dawn's Vulkan loader complains about XDG_RUNTIME_DIR on headless machines: harmless noise.
      const lines = data.toString().split('\n').filter((line) => line.trim() && !line.includes('XDG_RUNTIME_DIR'));
      stderr += lines.map((line) => `${line}\n`).join('');
      for (const line of lines) log(`  ${line.trim()}`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) return resolve(JSON.parse(last) as ChildResult);
      const why = signal === 'SIGKILL' ? `killed after the ${Math.round(timeoutMs / 1000)} s limit` : `exited with ${code ?? signal}`;
      const tail = stderr.trim().split('\n').slice(-3).join(' / ');
      reject(new Error(`${request.impl} child ${why}${tail ? `: ${tail}` : ''}`));
    });
  });
}

/** The bench package's folder, from this file in src/ (tests) or from the bundle in dist/. */
function benchRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(directory, 'package.json')) && JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).name === '@cria/bench')) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`bench: cannot find the @cria/bench package folder above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
  return directory;
}

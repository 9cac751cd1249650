import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The start of a script that uses Dawn in Node: its globals installed, the built backend imported. */
export const DAWN_PRELUDE = `import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const { createWebGPUBackend } = await import('@cria/kernels');
`;

/**
 * Test support: runs `source` (an ES module) in a fresh Node and returns its stdout. The script is
 * written inside the package, so 'webgpu' and '@cria/kernels' (the built package) resolve. For
 * tests that need their own Dawn instance or Node flags: a second Dawn instance in the test worker
 * could crash it at exit.
 */
export function runNodeScript(name: string, source: string, nodeArgs: readonly string[] = []): string {
  const script = join(import.meta.dirname, '..', '..', `.${name}.mjs`);
  writeFileSync(script, source);
  try {
    return execFileSync(process.execPath, [...nodeArgs, script], { encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(script, { force: true });
  }
}

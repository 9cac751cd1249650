import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// Dawn in Node destroys its instance when the `GPU` object is garbage collected; a device still in
// use then aborts the process (a failed mutex assertion or a segfault, not an exception). A caller
// who passes `gpu: create([])` keeps no reference to it, so the backend must. Its own process:
// the test needs `--expose-gc`, and a second Dawn instance in the test worker could crash it at exit.
it('a backend keeps the GPU object it was given alive through garbage collection', () => {
  const root = join(import.meta.dirname, '..', '..');
  const script = join(root, '.gpu-lifetime.mjs'); // inside the package, so 'webgpu' and '@cria/kernels' resolve
  writeFileSync(
    script,
    `import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const { createWebGPUBackend } = await import('@cria/kernels');
const backend = await createWebGPUBackend({ gpu: create([]) });
for (let i = 0; i < 3; i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const x = backend.tensor('f32', [4], new Float32Array([-1, 0, 1, 2]));
const out = backend.tensor('f32', [4]);
backend.silu({ out, x });
console.log('silu', Array.from(await backend.read(out), (v) => v.toFixed(4)).join(' '));
backend.dispose();
`,
  );
  try {
    const output = execFileSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8', timeout: 60_000 });
    expect(output).toContain('silu -0.2689 0.0000 0.7311 1.7616');
  } finally {
    rmSync(script, { force: true });
  }
});

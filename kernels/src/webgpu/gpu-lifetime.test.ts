import { expect, it } from 'vitest';
import { runNodeScript } from './node-script.js';

// Dawn in Node destroys its instance when the `GPU` object is garbage collected; a device still in
// use then aborts the process (a failed mutex assertion or a segfault, not an exception). A caller
// who passes `gpu: create([])` keeps no reference to it, so the backend must.
it('a backend keeps the GPU object it was given alive through garbage collection', () => {
  const output = runNodeScript(
    'gpu-lifetime',
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
    ['--expose-gc'],
  );
  expect(output).toContain('silu -0.2689 0.0000 0.7311 1.7616');
});

// Dawn's null device (no GPU work) caps its memory at 512 MiB: the same out-of-memory errors a real
// GPU gives, without filling one. The failed allocation must surface as a ResourceLimitError at the
// next read, not as the bare OperationError of the failed map.
it('a device out of memory is a ResourceLimitError at the next read, with a hint', () => {
  const output = runNodeScript(
    'gpu-out-of-memory',
    `import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const { createWebGPUBackend } = await import('@cria/kernels');
const gpu = create(['backend=null']);
const backend = await createWebGPUBackend({ gpu });
const big = [0, 1, 2].map(() => backend.tensor('f32', [50 * 1024, 1024])); // 3 × 200 MiB
const x = backend.tensor('f32', [4], new Float32Array(4));
const out = backend.tensor('f32', [4]);
backend.silu({ out, x });
try {
  await backend.read(out);
  console.log('read: no error');
} catch (error) {
  console.log(error.constructor.name, error.message.split('\\n')[0].slice(0, 120));
  console.log(/Hint: free tensors/.test(error.message) ? 'hinted' : 'no hint');
}
backend.dispose();
`,
  );
  expect(output).toMatch(/^ResourceLimitError (read: the WebGPU device ran out of memory|.*out of memory)/m);
  expect(output).toContain('hinted');
});

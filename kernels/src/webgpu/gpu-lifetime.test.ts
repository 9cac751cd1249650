import { expect, it } from 'vitest';
import { DAWN_PRELUDE, runNodeScript } from './node-script.js';

// Dawn in Node destroys its instance when the `GPU` object is garbage collected; a device still in
// use then aborts the process (a failed mutex assertion or a segfault, not an exception). A caller
// who passes `gpu: create([])` keeps no reference to it, so the backend must.
it('a backend keeps the GPU object it was given alive through garbage collection', () => {
  const output = runNodeScript(
    'gpu-lifetime',
    `${DAWN_PRELUDE}
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

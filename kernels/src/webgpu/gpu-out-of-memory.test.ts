import { expect, it } from 'vitest';
import { DAWN_PRELUDE, runNodeScript } from './node-script.js';

// Dawn's null device (no GPU work) caps its memory at 512 MiB: the same out-of-memory errors a real
// GPU gives, without filling one. The failed allocation must surface as a ResourceLimitError at the
// next read, not as the bare OperationError of a failed map or as nothing at all.
it('a device out of memory is a ResourceLimitError at the next read, with a hint', () => {
  const output = runNodeScript(
    'gpu-out-of-memory',
    `${DAWN_PRELUDE}
const backend = await createWebGPUBackend({ gpu: create(['backend=null']) });
const big = [0, 1, 2].map(() => backend.tensor('f32', [50 * 1024, 1024])); // 3 × 200 MiB
const x = backend.tensor('f32', [4], new Float32Array(4));
const out = backend.tensor('f32', [4]);
backend.silu({ out, x });
try {
  await backend.read(out);
  console.log('read: no error');
} catch (error) {
  console.log(error.constructor.name, error.message.split('\\n')[0]);
  console.log(/Hint: free tensors/.test(error.message) ? 'hinted' : 'no hint');
}
backend.dispose();
`,
  );
  expect(output).toMatch(/^ResourceLimitError read: the WebGPU device ran out of memory \(\d+ error\(s\) since the last check: Out of memory\./m);
  expect(output).toContain('hinted');
});

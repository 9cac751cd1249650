import { describe, expect, it } from 'vitest';
import { createBackend } from './create-backend.js';

describe('createBackend', () => {
  it('creates each backend by name', async () => {
    for (const name of ['reference', 'wasm', 'webgpu'] as const) {
      const backend = await createBackend({ backend: name });
      expect(backend.name).toBe(name);
      backend.dispose();
    }
  });

  it("'auto' passes over a software WebGPU adapter for wasm and says why", async () => {
    const reasons: string[] = [];
    const backend = await createBackend({ onFallback: (reason) => reasons.push(reason) });
    // CI has only SwiftShader, so auto must choose wasm and explain it.
    expect(backend.name).toBe('wasm');
    expect(reasons.join()).toMatch(/SwiftShader|software|unavailable/i);
    backend.dispose();
    const forced = await createBackend({ allowSoftwareAdapter: true });
    expect(forced.name).toBe('webgpu');
    forced.dispose();
  });
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One headless Chromium running WebGPU on SwiftShader (the CPU): minutes, not seconds.
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});

import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    // The engine tests run the wasm backend (relaxed SIMD) and WebGPU on SwiftShader, as the kernels' tests do.
    poolOptions: { forks: { execArgv: ['--experimental-wasm-relaxed-simd'] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD) ? { VK_ICD_FILENAMES: SWIFTSHADER_ICD } : {},
  },
});

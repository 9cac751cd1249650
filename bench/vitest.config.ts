import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The smoke test runs the whole kernels suite on tiny shapes (reference backend + naive JS).
    testTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    // The end-to-end tests spawn the built CLI and load a tiny model; the protocol tests take milliseconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    // The parity suite encodes a few MB through transformers.js and Cria on three vocabularies.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The end-to-end tests start real servers and PostgreSQL connections; one file per worker keeps ports and nock apart.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});

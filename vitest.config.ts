import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2 cores: keep parallelism modest so timing-sensitive integration tests stay honest.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
  },
});

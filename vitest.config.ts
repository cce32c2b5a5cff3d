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
    // Quiet unless something fails: console output (the local stack's logs included, see
    // setup-env.ts) is kept per test and printed only for a test that failed.
    silent: 'passed-only',
    reporters: ['default'],
  },
});

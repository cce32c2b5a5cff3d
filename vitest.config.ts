import { defineConfig } from 'vitest/config';

// Node 20 is what these machines run: the SDK's notice about Node 22 would be printed by the
// global setup (this process) as well as by the workers (setup-env.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    // Tests live under test/, and beside the code they test (each provider's folder holds its own).
    include: ['test/**/*.test.ts', 'shared/**/*.test.ts'],
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

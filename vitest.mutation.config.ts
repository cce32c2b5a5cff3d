import { defineConfig } from 'vitest/config';

/**
 * The tests `npm run mutation` (Stryker) runs against each mutant: the fast, pure ones only —
 * unit and contract tests, and any `*.test.ts` kept next to a provider's code. No global setup:
 * nothing here needs DynamoDB Local, and starting Java per Stryker worker would dominate.
 * Build fixtures inside tests: Stryker activates a mutant per test, so a schedule built while a
 * file is collected is built by the original code, and a mutant that makes collection throw was
 * seen reported as survived.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts', 'shared/providers/**/*.test.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    testTimeout: 30_000,
    silent: 'passed-only',
    reporters: ['default'],
  },
});

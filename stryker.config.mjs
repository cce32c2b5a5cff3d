// @ts-check
/**
 * Mutation testing (`npm run mutation`): mutates the pure decisions the gateway's promises rest
 * on — `shared/domain/` and every provider module (flat files today, `shared/providers/<name>/`
 * later) — and runs only the unit and contract tests (vitest.mutation.config.ts) against each
 * mutant. One file while iterating: `npm run mutation -- --mutate shared/domain/retry.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    'shared/domain/**/*.ts',
    'shared/providers/**/*.ts',
    '!**/*.test.ts',
    // How openapi.json shows a provider (summaries, examples): documentation, checked by
    // test/unit/openapi.test.ts, not a decision the gateway makes.
    '!shared/providers/*/openapi.ts',
  ],
  // A mutant TypeScript refuses can never ship (npm test type-checks): it is not counted.
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // The machine has 2 cores, shared with other jobs.
  concurrency: 2,
  // Reruns test only mutants whose code or covering tests changed since the last run. Stryker
  // cannot tell which tests cover module-level code (schemas, rule tables: "static" mutants), so
  // a surviving static mutant is not retested when only tests were added: after adding tests, and
  // for the figure in the README, run `npm run mutation -- --force`.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 90, low: 85, break: 85 },
  // Not copied into Stryker's sandbox: build output and local data have nothing to mutate or test.
  ignorePatterns: ['cdk.out', '.local-data', 'coverage', 'reports'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};

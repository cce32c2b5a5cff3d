import { fileURLToPath } from 'node:url';

/**
 * Repository root, derived from this file's location rather than `process.cwd()`, so `cdk synth`,
 * Vitest and editors resolve handler entries and the lock file identically wherever they run from.
 */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

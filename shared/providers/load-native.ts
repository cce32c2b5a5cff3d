/**
 * Loads a provider's `native.ts` (its own routes' normalizers) on first use; only intake carries
 * it. See load-canonical.ts for how the import is bundled.
 */
import type { Provider } from '../system';
import { loadOnce, partOf, type NativePart } from './parts';

export const loadNative = loadOnce(
  // Stryker disable next-line StringLiteral: an import path emptied resolves to the folder itself, which crashes the test runner instead of failing a test
  async (provider: Provider): Promise<NativePart> => partOf<NativePart>(provider, 'native', await import(`./${provider}/native.ts`)),
);

/**
 * Loads a provider's `canonical.ts` on first use. The import names the folder by the provider's
 * id, so a bundle holds every provider's part, each initialised (its schemas built) only when
 * first loaded. Kept alone in this module so only the functions that validate requests carry it.
 */
import type { Provider } from '../system';
import { loadOnce, partOf, type CanonicalPart } from './parts';

export const loadCanonical = loadOnce(
  // Stryker disable next-line StringLiteral: an import path emptied resolves to the folder itself, which crashes the test runner instead of failing a test
  async (provider: Provider): Promise<CanonicalPart> => partOf<CanonicalPart>(provider, 'canonical', await import(`./${provider}/canonical.ts`)),
);

/**
 * Loads a provider's `native.ts` (its own routes' normalizers) on first use; only intake carries
 * it. See load-canonical.ts for how the import is bundled.
 */
import type { Provider } from '../system';
import { loadOnce, partOf, type NativePart } from './parts';

export const loadNative = loadOnce(
  async (provider: Provider): Promise<NativePart> => partOf<NativePart>(provider, 'native', await import(`./${provider}/native.ts`)),
);

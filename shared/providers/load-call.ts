/**
 * Loads a provider's `call.ts` on first use, for a process that runs every consumer (the local
 * stack, tests). A Lambda consumer does not use this: its entry imports its own provider's part
 * only (functions/consumer/handler.ts), so its bundle holds no other provider.
 */
import type { Provider } from '../system';
import { loadOnce, partOf, type CallPart } from './parts';

export const loadCall = loadOnce(async (provider: Provider): Promise<CallPart> => partOf<CallPart>(provider, 'call', await import(`./${provider}/call.ts`)));

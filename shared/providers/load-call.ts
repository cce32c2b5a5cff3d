/**
 * Loads a provider's `call.ts` on first use, for a process that runs every consumer (the local
 * stack, tests). A Lambda consumer does not use this: its entry imports its own provider's part
 * only (functions/consumer/handler.ts), so its bundle holds no other provider.
 */
import type { Provider } from '../system';
import { loadOnce, partOf, type CallPart } from './parts';

// Stryker disable next-line StringLiteral: an import path emptied resolves to the folder itself, which crashes the test runner instead of failing a test
export const loadCall = loadOnce(async (provider: Provider): Promise<CallPart> => partOf<CallPart>(provider, 'call', await import(`./${provider}/call.ts`)));

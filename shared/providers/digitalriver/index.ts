/**
 * Digital River Commerce API, subscription renewal settings (docs/providers.md): what the gateway knows
 * about Digital River. 202 Accepted: DR applies the change later. Each call sets an absolute
 * value, so repeating it is harmless. Its code: `canonical.ts` (one params schema per setting),
 * `native.ts` (the four drop-in routes), `call.ts` (the call and its answers).
 */
import type { ProviderDeclaration } from '../declaration';

export const digitalriver = {
  id: 'digitalriver',
  name: 'Digital River',
  operations: ['renewal-type', 'renewal-product', 'renewal-quantity', 'renewal-price'],
  routes: [
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-type' },
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-product' },
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-quantity' },
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-price' },
  ],
  config: {
    baseUrlEnv: 'DIGITALRIVER_BASE_URL',
    defaultBaseUrl: 'https://api.digitalriver.com',
    secrets: {
      DIGITALRIVER_API_KEY: {
        description: 'Digital River dispatch key (the user half of Basic authentication).',
        localDefault: 'local-digitalriver-key',
      },
      DIGITALRIVER_API_SECRET: {
        description: 'Digital River dispatch secret (the password half of Basic authentication).',
        localDefault: 'local-digitalriver-secret',
      },
    },
    // Which header carries `Basic base64(key:secret)` (docs/providers.md: uncertain, configurable):
    // `authorization` (the guides), or `token` (the header DR's reference names).
    settings: { DIGITALRIVER_AUTH_HEADER: { oneOf: ['authorization', 'token'] } },
    rateLimitEnv: 'DIGITALRIVER_RATE_LIMIT',
    // 100 requests/s per key in production (10/s in evaluation: set DIGITALRIVER_RATE_LIMIT=10/1s).
    defaultRateLimit: '100/1s',
    maxConcurrencyEnv: 'DIGITALRIVER_MAX_CONCURRENCY',
    maxConcurrency: 5,
    // Only 401: a 403 can concern one subscription.
    pauseOnAuthStatuses: [401],
  },
} as const satisfies ProviderDeclaration;

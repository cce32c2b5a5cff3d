/**
 * Pelcro "Renew subscription" (docs/providers.md), in its two variants, SDK (on-session, the customer's
 * JWT) and Core (server-to-server, the account API key): what the gateway knows about Pelcro.
 * Its code: `canonical.ts` (`params.api` selects the variant), `native.ts` (both drop-in routes),
 * `call.ts` (the two calls and their answers).
 */
import type { ProviderDeclaration } from '../declaration';

export const pelcro = {
  id: 'pelcro',
  name: 'Pelcro',
  operations: ['renew'],
  routes: [
    { method: 'POST', path: '/v1/providers/pelcro/subscription/renew' },
    { method: 'POST', path: '/v1/providers/pelcro/core/subscriptions/renew' },
  ],
  // The signed-in customer's JWT (SDK variant): only the encrypted queue message carries it.
  secretParams: ['customerToken'],
  config: {
    baseUrlEnv: 'PELCRO_BASE_URL',
    defaultBaseUrl: 'https://www.pelcro.com',
    secrets: {
      PELCRO_API_KEY: {
        description: 'Pelcro account API key for the Core API (issued and rotated in the Pelcro platform).',
        localDefault: 'local-pelcro-key',
      },
    },
    settings: {},
    rateLimitEnv: 'PELCRO_RATE_LIMIT',
    // "120 calls per minute per account, all endpoints" (docs/providers.md).
    defaultRateLimit: '120/60s',
    maxConcurrencyEnv: 'PELCRO_MAX_CONCURRENCY',
    maxConcurrency: 3,
    // None: SDK refusals concern one customer's token, not the account.
    pauseOnAuthStatuses: [],
  },
  schedule: {
    // 120 calls a minute make a first-of-the-month backlog of 400,000 last more than two days.
    deadlineGraceHours: 72,
    requiredParams: { values: { api: 'core' }, reason: 'scheduled renewals have no customer session, so they use the Core call' },
  },
} as const satisfies ProviderDeclaration;

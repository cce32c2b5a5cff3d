/**
 * Punchh Platform Functions "Renew Subscription" (docs/providers.md): what the gateway knows about
 * Punchh. Not idempotent and no read API: the term (start_time, end_time) is the dedupe key.
 * Its code: `canonical.ts` (the term and price), `native.ts` (the drop-in route), `call.ts` (the
 * call, its answers and the period rule).
 */
import type { ProviderDeclaration } from '../declaration';

export const punchh = {
  id: 'punchh',
  name: 'Punchh',
  operations: ['renew'],
  routes: [{ method: 'POST', path: '/v1/providers/punchh/subscriptions/renew' }],
  config: {
    baseUrlEnv: 'PUNCHH_BASE_URL',
    // Punchh issues a host per brand; deployments set theirs (-c punchhBaseUrl=…).
    defaultBaseUrl: 'https://sandbox.punchh.com',
    secrets: {
      PUNCHH_ADMIN_KEY: {
        description: 'Punchh business admin key for Platform Functions (issued per brand by Punchh).',
        localDefault: 'local-punchh-admin-key',
      },
    },
    settings: {},
    rateLimitEnv: 'PUNCHH_RATE_LIMIT',
    maxConcurrencyEnv: 'PUNCHH_MAX_CONCURRENCY',
    // Punchh locks an IP out after 10 failed logins in 10 minutes: few workers at once.
    maxConcurrency: 2,
    // 401 bad key, 403 the IP lockout itself, 422 disabled_feature (brand configuration).
    pauseOnAuthStatuses: [401, 403, 422],
  },
  // Scheduled renewals chain terms: each run renews the term after the previous one.
  schedule: { term: { startParam: 'startTime', endParam: 'endTime' } },
} as const satisfies ProviderDeclaration;

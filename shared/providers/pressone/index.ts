/**
 * PressOne voice-only eSIM "Renew Number" (docs/providers.md): what the gateway knows about PressOne.
 * Its code: `canonical.ts` (the email as subscription), `native.ts` (the drop-in route),
 * `call.ts` (`POST {base}/api/third-party/partner/renew-number/`, classification, List User).
 */
import type { ProviderDeclaration } from '../declaration';

export const pressone = {
  id: 'pressone',
  name: 'PressOne',
  operations: ['renew'],
  routes: [{ method: 'POST', path: '/v1/providers/pressone/renew-number' }],
  config: {
    baseUrlEnv: 'PRESSONE_BASE_URL',
    defaultBaseUrl: 'https://api.pressone.co',
    secrets: {
      PRESSONE_API_KEY: { description: 'PressOne partner API key (issued and rotated by PressOne).', localDefault: 'local-pressone-key' },
    },
    settings: {},
    rateLimitEnv: 'PRESSONE_RATE_LIMIT',
    maxConcurrencyEnv: 'PRESSONE_MAX_CONCURRENCY',
    maxConcurrency: 5,
    pauseOnAuthStatuses: [401, 403],
  },
} as const satisfies ProviderDeclaration;

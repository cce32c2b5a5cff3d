/** PressOne as the OpenAPI document shows it (`npm run openapi`); never in a Lambda bundle. */
import type { OpenApiPart } from '../parts';
import type { pressone } from './index';
import { pressoneRenewBody } from './native';

export const openapi = {
  routes: {
    '/v1/providers/pressone/renew-number': {
      summary: 'Renew a PressOne number (PressOne’s own body)',
      description:
        'Drop-in for PressOne’s `POST /api/third-party/partner/renew-number/`: the same body, signed as every write is. Becomes the canonical request `{provider: "pressone", operation: "renew", subscription: email}`.',
      body: pressoneRenewBody,
      example: { body: { email: 'jane.doe@example.com' }, query: {}, path: {}, headers: {} },
    },
  },
  canonicalExamples: { renew: { provider: 'pressone', operation: 'renew', subscription: 'jane.doe@example.com' } },
} satisfies OpenApiPart<typeof pressone>;

/** Punchh as the OpenAPI document shows it (`npm run openapi`); never in a Lambda bundle. */
import type { OpenApiPart } from '../parts';
import type { punchh } from './index';
import { punchhRenewBody } from './native';

export const openapi = {
  routes: {
    '/v1/providers/punchh/subscriptions/renew': {
      summary: 'Renew a Punchh subscription term (Punchh’s own body)',
      description:
        'Drop-in for Punchh’s `POST /api2/dashboard/subscriptions/renew`: the same body. The term (`start_time`, `end_time`) is the renewal’s period: one term is renewed at most once.',
      body: punchhRenewBody,
      example: {
        body: { subscription_id: 40, start_time: '2026-12-01T00:00:00Z', end_time: '2027-01-01T00:00:00Z', purchase_price: 9.99 },
        query: {},
        path: {},
        headers: {},
      },
    },
  },
  canonicalExamples: {
    renew: {
      provider: 'punchh',
      operation: 'renew',
      subscription: '40',
      params: { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 },
    },
  },
} satisfies OpenApiPart<typeof punchh>;

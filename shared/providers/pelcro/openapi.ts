/** Pelcro as the OpenAPI document shows it (`npm run openapi`); never in a Lambda bundle. */
import type { OpenApiPart } from '../parts';
import type { pelcro } from './index';
import { pelcroCoreQuery, pelcroCoreRenewBody, pelcroSdkQuery, pelcroSdkRenewBody } from './native';

/** The shape of a customer JWT, not a real one. */
const EXAMPLE_JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzNCJ9.c2lnbmF0dXJlLW5vdC1yZWFs';

export const openapi = {
  routes: {
    '/v1/providers/pelcro/subscription/renew': {
      summary: 'Renew a Pelcro subscription for a signed-in customer (Pelcro SDK body)',
      description:
        'Drop-in for Pelcro’s SDK call `POST /api/v1/sdk/subscription/renew?site_id=`: the same body and query, with the customer’s Pelcro JWT in `Authorization`. The token is carried only in the encrypted queue message: never stored, hashed or returned.',
      body: pelcroSdkRenewBody,
      query: pelcroSdkQuery,
      headers: { authorization: { description: 'The signed-in customer’s Pelcro token, as `Bearer <JWT>`.', required: true } },
      example: { body: { plan_id: 7, subscription_id: 34 }, query: { site_id: '3' }, path: {}, headers: { authorization: `Bearer ${EXAMPLE_JWT}` } },
    },
    '/v1/providers/pelcro/core/subscriptions/renew': {
      summary: 'Renew a Pelcro subscription with the Core API (Pelcro Core body)',
      description:
        'Drop-in for Pelcro’s Core call `POST /api/v1/core/subscriptions/renew?site_id=&user_id=`: the same body and query. Used for renewals without a customer session (schedules use it too).',
      body: pelcroCoreRenewBody,
      query: pelcroCoreQuery,
      example: { body: { subscription_id: 34, plan_id: 7, quantity: 1, source: 'web' }, query: { site_id: '3', user_id: '12' }, path: {}, headers: {} },
    },
  },
  canonicalExamples: {
    renew: { provider: 'pelcro', operation: 'renew', subscription: '34', params: { api: 'core', siteId: 3, userId: 12, planId: 7, quantity: 1, source: 'web' } },
  },
} satisfies OpenApiPart<typeof pelcro>;

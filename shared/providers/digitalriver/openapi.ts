/** Digital River as the OpenAPI document shows it (`npm run openapi`); never in a Lambda bundle. */
import type { NativeRouteDoc, OpenApiPart } from '../parts';
import type { digitalriver } from './index';
import { digitalRiverBodies, digitalRiverPath, type DigitalRiverOperation } from './native';

const route = (operation: DigitalRiverOperation, what: string, body: Record<string, unknown>): NativeRouteDoc => ({
  summary: `Set a Digital River subscription’s ${what} (DR’s own body)`,
  description: `Drop-in for Digital River’s \`POST /subscriptions/{subId}/${operation}\`: the same body, with DR’s subscription id in the path.`,
  body: digitalRiverBodies[operation],
  path: digitalRiverPath,
  example: { body, query: {}, path: { subId: 'sub_1234' }, headers: {} },
});

export const openapi = {
  routes: {
    '/v1/providers/digitalriver/subscriptions/{subId}/renewal-type': route('renewal-type', 'renewal type (automatic or manual)', { autoRenewal: true }),
    '/v1/providers/digitalriver/subscriptions/{subId}/renewal-product': route('renewal-product', 'renewal product', { renewalProductId: 'prod_annual' }),
    '/v1/providers/digitalriver/subscriptions/{subId}/renewal-quantity': route('renewal-quantity', 'renewal quantity', { renewalQuantity: 2 }),
    '/v1/providers/digitalriver/subscriptions/{subId}/renewal-price': route('renewal-price', 'renewal unit price', { renewalUnitPrice: 19.99 }),
  },
  canonicalExamples: {
    'renewal-type': { provider: 'digitalriver', operation: 'renewal-type', subscription: 'sub_1234', params: { autoRenewal: true } },
    'renewal-product': { provider: 'digitalriver', operation: 'renewal-product', subscription: 'sub_1234', params: { renewalProductId: 'prod_annual' } },
    'renewal-quantity': { provider: 'digitalriver', operation: 'renewal-quantity', subscription: 'sub_1234', params: { renewalQuantity: 2 } },
    'renewal-price': { provider: 'digitalriver', operation: 'renewal-price', subscription: 'sub_1234', params: { renewalUnitPrice: 19.99 } },
  },
} satisfies OpenApiPart<typeof digitalriver>;

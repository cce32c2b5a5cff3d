import { describe, expect, it } from 'vitest';
import { parseCanonicalRequest } from '../../shared/domain/canonical';

/** JWT-shaped (header.payload.signature, base64url JSON): the gateway checks the shape only. */
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';
import { INTAKE_ROUTES } from '../../shared/intake/routes';

const paths = async (input: unknown) => {
  const r = await parseCanonicalRequest(input);
  return r.ok ? [] : r.errors.map((e) => e.path);
};

describe('canonical request', () => {
  it('accepts each provider and operation in its canonical shape', async () => {
    const valid = [
      { provider: 'pressone', operation: 'renew', subscription: 'jane@example.com' },
      { provider: 'pelcro', operation: 'renew', subscription: '77', params: { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'API' } },
      { provider: 'pelcro', operation: 'renew', subscription: '77', params: { api: 'sdk', siteId: 1, planId: 3, customerToken: JWT, paymentGateway: 'braintree', campaignKey: 'spring-26' } },
      { provider: 'punchh', operation: 'renew', subscription: '40', params: { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 } },
      { provider: 'digitalriver', operation: 'renewal-type', subscription: 'sub-1', params: { autoRenewal: false } },
      { provider: 'digitalriver', operation: 'renewal-product', subscription: 'sub-1', params: { renewalProductId: 'p-9' } },
      { provider: 'digitalriver', operation: 'renewal-quantity', subscription: 'sub-1', params: { renewalQuantity: 3 } },
      { provider: 'digitalriver', operation: 'renewal-price', subscription: 'sub-1', params: { renewalUnitPrice: 12.5 }, notBefore: '2026-12-01T00:00:00Z' },
    ];
    for (const input of valid) expect(await paths(input), JSON.stringify(input)).toEqual([]);
  });

  it('names each bad field', async () => {
    expect(await paths({ provider: 'acme', operation: 'renew', subscription: 'x' })).toEqual(['provider']);
    expect(await paths({ provider: 'pressone', operation: 'renew', subscription: 'not-an-email' })).toEqual(['subscription']);
    expect(await paths({ provider: 'pressone', operation: 'renewal-price', subscription: 'a@b.co' })).toEqual(['operation']);
    expect(await paths({ provider: 'pressone', operation: 'renew' })).toEqual(['subscription']);
    expect(await paths({ provider: 'pressone', operation: 'renew', subscription: 'a@b.co', extra: 1 })).toEqual(['extra']);
    expect(await paths({ provider: 'pressone', operation: 'renew', subscription: 'a@b.co', notBefore: 'tomorrow' })).toEqual(['notBefore']);
    expect((await paths({ provider: 'punchh', operation: 'renew', subscription: '40', params: { startTime: '2026-12-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z', purchasePrice: -1 } })).sort()).toEqual(
      ['params.endTime', 'params.purchasePrice'],
    );
    expect((await paths({ provider: 'pelcro', operation: 'renew', subscription: '77', params: { api: 'sdk', siteId: 1, planId: 3, customerToken: 't', paymentGateway: 'paypal', campaignKey: 'a!' } })).sort()).toEqual(
      ['params.campaignKey', 'params.customerToken', 'params.paymentGateway'],
    );
    expect(await paths({ provider: 'pelcro', operation: 'renew', subscription: '77', params: { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'API', collectionMethod: 'charge_automatically' } })).toEqual(['params.sourceId']);
    expect(await paths({ provider: 'digitalriver', operation: 'renewal-quantity', subscription: 's', params: { renewalQuantity: 1.5 } })).toEqual(['params.renewalQuantity']);
    expect(await paths({ provider: 'digitalriver', operation: 'renewal-type', subscription: 's', params: { autoRenewal: 'yes' } })).toEqual(['params.autoRenewal']);
    expect(await paths('a string')).toEqual(['(body)']);
  });
});

describe('PressOne drop-in route', () => {
  const route = INTAKE_ROUTES['POST /v1/providers/pressone/renew-number']!;
  const normalize = (body: unknown) => route({ body, query: {}, path: {}, headers: {} });

  it('normalizes PressOne’s own body to the canonical request', async () => {
    expect(await normalize({ email: 'jane@example.com' })).toEqual({
      ok: true,
      value: { provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', params: {} },
    });
  });

  it('names email when it is missing, invalid or not a string, and unknown fields', async () => {
    for (const body of [{}, { email: 'nope' }, { email: 42 }]) {
      const r = await normalize(body);
      expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['email']);
    }
    const r = await normalize({ email: 'a@b.co', plan: 'x' });
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['plan']);
  });
});

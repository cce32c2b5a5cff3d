/**
 * Contract: a Punchh-native request, normalized, queued and built, is exactly the call docs/providers.md
 * describes: `POST https://{server}.punchh.com/api2/dashboard/subscriptions/renew`, its headers,
 * and `{subscription_id, start_time, end_time, purchase_price, new_plan_id?}` with Punchh's types.
 */
import { describe, expect, it } from 'vitest';
import { normalizePunchh } from './native';
import { call as punchh } from './call';
import type { OutgoingRequest, ProviderConfig } from '../types';
import type { QueuedRenewal } from '../../domain/renewal';

const ADMIN_KEY = 'punchh-business-admin-key';
const config: ProviderConfig = { baseUrl: 'https://brand.punchh.com', secrets: { PUNCHH_ADMIN_KEY: ADMIN_KEY }, settings: {} };

const call = (body: unknown, cfg: ProviderConfig = config): OutgoingRequest => {
  const result = normalizePunchh({ body, query: {}, path: {}, headers: {} });
  if (!result.ok) throw new Error(`normalizer refused: ${JSON.stringify(result.errors)}`);
  const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', ...result.value };
  return punchh.buildRequest(renewal, cfg);
};
const jsonBody = (req: OutgoingRequest): Record<string, unknown> => JSON.parse(req.body ?? 'null') as Record<string, unknown>;

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json',
  authorization: `Bearer ${ADMIN_KEY}`,
  'user-agent': 'renewal-gateway/1.0',
};

describe('Punchh: POST {base}/api2/dashboard/subscriptions/renew', () => {
  it('renews on the current plan (no new_plan_id key at all)', () => {
    const body = { subscription_id: 40, start_time: '2026-12-01T00:00:00Z', end_time: '2027-01-01T00:00:00Z', purchase_price: 9.99 };
    const req = call(body);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://brand.punchh.com/api2/dashboard/subscriptions/renew');
    expect(new URL(req.url).search).toBe('');
    expect(req.headers).toEqual(HEADERS);

    const sent = jsonBody(req);
    expect(sent).toEqual(body);
    expect(Object.keys(sent).sort()).toEqual(['end_time', 'purchase_price', 'start_time', 'subscription_id']);
    expect(typeof sent.subscription_id).toBe('number');
    expect(Number.isInteger(sent.subscription_id)).toBe(true);
    expect(typeof sent.start_time).toBe('string');
    expect(typeof sent.end_time).toBe('string');
    expect(typeof sent.purchase_price).toBe('number');
  });

  it('switches plan with new_plan_id, an integer; times go out as written', () => {
    const body = {
      subscription_id: 40,
      start_time: '2026-12-01T01:00:00.000+01:00',
      end_time: '2027-03-01T00:00:00-05:00',
      purchase_price: 27,
      new_plan_id: 7,
    };
    const sent = jsonBody(call(body));
    expect(sent).toEqual(body);
    expect(typeof sent.new_plan_id).toBe('number');
    expect(Number.isInteger(sent.new_plan_id)).toBe(true);
    expect(typeof sent.purchase_price).toBe('number');
  });

  it('keeps a base URL prefix and drops a trailing slash', () => {
    const body = { subscription_id: 40, start_time: '2026-12-01T00:00:00Z', end_time: '2027-01-01T00:00:00Z', purchase_price: 0 };
    expect(call(body, { ...config, baseUrl: 'https://sandbox.punchh.com/' }).url).toBe('https://sandbox.punchh.com/api2/dashboard/subscriptions/renew');
    expect(call(body, { ...config, baseUrl: 'http://127.0.0.1:9200/punchh/' }).url).toBe('http://127.0.0.1:9200/punchh/api2/dashboard/subscriptions/renew');
  });
});

/**
 * Contract: a Pelcro-native request, normalized, queued and built, is exactly the call docs/providers.md
 * describes: method, URL with query, every header, and a JSON body with Pelcro's names and types.
 */
import { describe, expect, it } from 'vitest';
import { normalizePelcroCore, normalizePelcroSdk } from './native';
import { call as pelcro } from './call';
import type { NativeRequest, Normalizer, OutgoingRequest, ProviderConfig } from '../types';
import type { QueuedRenewal } from '../../domain/renewal';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const API_KEY = 'pelcro-account-api-key';
const config: ProviderConfig = { baseUrl: 'https://www.pelcro.com', secrets: { PELCRO_API_KEY: API_KEY }, settings: {} };

/** native request → canonical → queued message (as intake would queue it) → provider call. */
const call = (normalize: Normalizer, native: NativeRequest, cfg: ProviderConfig = config): OutgoingRequest => {
  const result = normalize(native);
  if (!result.ok) throw new Error(`normalizer refused: ${JSON.stringify(result.errors)}`);
  const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', ...result.value };
  return pelcro.buildRequest(renewal, cfg);
};
const jsonBody = (req: OutgoingRequest): Record<string, unknown> => JSON.parse(req.body ?? 'null') as Record<string, unknown>;
const expectInt = (value: unknown) => {
  expect(typeof value).toBe('number');
  expect(Number.isInteger(value)).toBe(true);
};

describe('Pelcro SDK: POST {base}/api/v1/sdk/subscription/renew?site_id=N with the customer JWT', () => {
  const sdk = (body: unknown, authorization = `Bearer ${JWT}`): NativeRequest => ({ body, query: { site_id: '7' }, path: {}, headers: { authorization } });

  it('sends every optional field with Pelcro’s names and types', () => {
    const body = {
      plan_id: 12,
      subscription_id: 555,
      language: 'fr',
      payment_gateway: 'cybersource',
      gateway_token: 'tok_1Nv0',
      address_id: 3,
      source_id: 4,
      campaign_key: 'spring_26-save',
      coupon_code: 'SAVE10',
      quantity: 2,
      source: 'web',
      replace_upcoming_phases: true,
    };
    const req = call(normalizePelcroSdk, sdk(body));
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://www.pelcro.com/api/v1/sdk/subscription/renew?site_id=7');
    expect([...new URL(req.url).searchParams]).toEqual([['site_id', '7']]);
    expect(req.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${JWT}` });

    const sent = jsonBody(req);
    // What the caller sent Pelcro-style is what Pelcro receives.
    expect(sent).toEqual(body);
    for (const field of ['plan_id', 'subscription_id', 'address_id', 'source_id', 'quantity']) expectInt(sent[field]);
    for (const field of ['language', 'payment_gateway', 'gateway_token', 'campaign_key', 'coupon_code', 'source']) expect(typeof sent[field]).toBe('string');
    expect(typeof sent.replace_upcoming_phases).toBe('boolean');
  });

  it('sends only the required fields when no optional one was given (Pelcro applies its defaults)', () => {
    const req = call(normalizePelcroSdk, sdk({ plan_id: 12, subscription_id: 555 }));
    expect(req.body).toBe('{"subscription_id":555,"plan_id":12}');
    const sent = jsonBody(req);
    expect(Object.keys(sent).sort()).toEqual(['plan_id', 'subscription_id']);
    expectInt(sent.subscription_id);
    expectInt(sent.plan_id);
  });

  it('passes the customer token through unchanged (a lower-case scheme is normalized) and never sends the API key', () => {
    const req = call(normalizePelcroSdk, sdk({ plan_id: 12, subscription_id: 555 }, `bearer ${JWT}`));
    expect(req.headers.authorization).toBe(`Bearer ${JWT}`);
    expect(JSON.stringify(req)).not.toContain(API_KEY);
    // The token authenticates; it is not part of the body.
    expect(req.body).not.toContain(JWT);
  });

  it('uses the staging base URL as given, trailing slash or path prefix', () => {
    const staging = call(normalizePelcroSdk, sdk({ plan_id: 1, subscription_id: 2 }), { ...config, baseUrl: 'https://staging.pelcro.com/' });
    expect(staging.url).toBe('https://staging.pelcro.com/api/v1/sdk/subscription/renew?site_id=7');
    const prefixed = call(normalizePelcroSdk, sdk({ plan_id: 1, subscription_id: 2 }), { ...config, baseUrl: 'http://127.0.0.1:9100/pelcro/' });
    expect(prefixed.url).toBe('http://127.0.0.1:9100/pelcro/api/v1/sdk/subscription/renew?site_id=7');
  });
});

describe('Pelcro Core: POST {base}/api/v1/core/subscriptions/renew?site_id=N&user_id=M with the account API key', () => {
  const core = (body: unknown, headers: NativeRequest['headers'] = {}): NativeRequest => ({
    body,
    query: { site_id: '7', user_id: '99' },
    path: {},
    headers,
  });

  it('sends the required fields only, with the API key', () => {
    const req = call(normalizePelcroCore, core({ subscription_id: 555, plan_id: 12, quantity: 1, source: 'API' }));
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://www.pelcro.com/api/v1/core/subscriptions/renew?site_id=7&user_id=99');
    expect([...new URL(req.url).searchParams]).toEqual([
      ['site_id', '7'],
      ['user_id', '99'],
    ]);
    expect(req.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${API_KEY}` });
    const sent = jsonBody(req);
    expect(sent).toEqual({ subscription_id: 555, plan_id: 12, quantity: 1, source: 'API' });
    for (const field of ['subscription_id', 'plan_id', 'quantity']) expectInt(sent[field]);
    expect(typeof sent.source).toBe('string');
  });

  it('sends charge_automatically with its source_id, and every other optional field', () => {
    const body = {
      subscription_id: 555,
      plan_id: 12,
      quantity: 3,
      source: 'renewal-gateway',
      address_id: 8,
      auto_renew: true,
      campaign_key: 'winback_2026',
      coupon_code: 'BACK20',
      replace_upcoming_phases: false,
      collection_method: 'charge_automatically',
      source_id: 4,
    };
    const req = call(normalizePelcroCore, core(body));
    const sent = jsonBody(req);
    expect(sent).toEqual(body);
    for (const field of ['subscription_id', 'plan_id', 'quantity', 'address_id', 'source_id']) expectInt(sent[field]);
    expect(typeof sent.auto_renew).toBe('boolean');
    expect(typeof sent.replace_upcoming_phases).toBe('boolean');
    expect(sent.collection_method).toBe('charge_automatically');
  });

  it('never forwards an upstream Authorization header: the account key authenticates Core calls', () => {
    const req = call(normalizePelcroCore, core({ subscription_id: 555, plan_id: 12, quantity: 1, source: 'API' }, { authorization: `Bearer ${JWT}` }));
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(JSON.stringify(req)).not.toContain(JWT);
  });
});

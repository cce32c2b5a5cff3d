import { describe, expect, it } from 'vitest';
import { normalizePelcroCore, normalizePelcroSdk, pelcroCoreRenewBody, pelcroSdkRenewBody } from './native';
import { PELCRO_CORE_FIELDS, PELCRO_SDK_FIELDS } from './fields';
import { call as pelcro } from './call';
import type { CallResult, NativeRequest, ProviderConfig } from '../types';
import type { ValidationResult, CanonicalRequest } from '../../domain/canonical';
import type { QueuedRenewal } from '../../domain/renewal';
import { response } from '../../../test/support/responses';

// A JWT-shaped customer token: the sanitizer must recognise it wherever it shows up.
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsImV4cCI6MTc5OTk5OTk5OX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const FRESH_JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsImZyZXNoIjp0cnVlfQ.ZnJlc2gtc2lnbmF0dXJlLXh5eg';

const sdkRequest = (body: unknown, over: Partial<NativeRequest> = {}): NativeRequest => ({
  body,
  query: { site_id: '7' },
  path: {},
  headers: { authorization: `Bearer ${JWT}` },
  ...over,
});
const coreRequest = (body: unknown, over: Partial<NativeRequest> = {}): NativeRequest => ({
  body,
  query: { site_id: '7', user_id: '99' },
  path: {},
  headers: {},
  ...over,
});
const paths = (r: ValidationResult<CanonicalRequest>): string[] => (r.ok ? [] : r.errors.map((e) => e.path).sort());
const SDK_MIN = { plan_id: 12, subscription_id: 555 };
const CORE_MIN = { subscription_id: 555, plan_id: 12, quantity: 1, source: 'API' };

describe('Pelcro SDK normalizer', () => {
  it('maps the required fields, the site and the customer JWT to the canonical request', () => {
    expect(normalizePelcroSdk(sdkRequest(SDK_MIN))).toEqual({
      ok: true,
      value: { provider: 'pelcro', operation: 'renew', subscription: '555', params: { api: 'sdk', siteId: 7, planId: 12, customerToken: JWT } },
    });
  });

  it('maps every optional field to its camelCase param', () => {
    const body = {
      ...SDK_MIN,
      language: 'fr',
      payment_gateway: 'braintree',
      gateway_token: 'tok_visa',
      address_id: 3,
      source_id: 4,
      campaign_key: 'spring_26-save',
      coupon_code: 'SAVE10',
      quantity: 2,
      source: 'web',
      replace_upcoming_phases: true,
    };
    expect(normalizePelcroSdk(sdkRequest(body))).toEqual({
      ok: true,
      value: {
        provider: 'pelcro',
        operation: 'renew',
        subscription: '555',
        params: {
          api: 'sdk',
          siteId: 7,
          planId: 12,
          customerToken: JWT,
          language: 'fr',
          paymentGateway: 'braintree',
          gatewayToken: 'tok_visa',
          addressId: 3,
          sourceId: 4,
          campaignKey: 'spring_26-save',
          couponCode: 'SAVE10',
          quantity: 2,
          source: 'web',
          replaceUpcomingPhases: true,
        },
      },
    });
  });

  it('accepts the Bearer scheme in any case (RFC 7235) and ignores other query parameters', () => {
    const r = normalizePelcroSdk(sdkRequest(SDK_MIN, { headers: { authorization: `bearer ${JWT}` }, query: { site_id: '7', utm: 'x' } }));
    expect(r.ok && r.value.params.customerToken).toBe(JWT);
  });

  const invalid: Array<[string, NativeRequest, string[]]> = [
    ['missing plan_id', sdkRequest({ subscription_id: 555 }), ['plan_id']],
    ['missing subscription_id', sdkRequest({ plan_id: 12 }), ['subscription_id']],
    ['subscription_id as a string', sdkRequest({ ...SDK_MIN, subscription_id: '555' }), ['subscription_id']],
    ['plan_id not an integer', sdkRequest({ ...SDK_MIN, plan_id: 1.5 }), ['plan_id']],
    ['plan_id zero', sdkRequest({ ...SDK_MIN, plan_id: 0 }), ['plan_id']],
    ['plan_id beyond int32', sdkRequest({ ...SDK_MIN, plan_id: 2 ** 31 }), ['plan_id']],
    ['payment_gateway out of the enum', sdkRequest({ ...SDK_MIN, payment_gateway: 'paypal' }), ['payment_gateway']],
    ['campaign_key too short', sdkRequest({ ...SDK_MIN, campaign_key: 'ab' }), ['campaign_key']],
    ['campaign_key with a space', sdkRequest({ ...SDK_MIN, campaign_key: 'spring sale' }), ['campaign_key']],
    ['campaign_key too long', sdkRequest({ ...SDK_MIN, campaign_key: 'a'.repeat(192) }), ['campaign_key']],
    ['language not ISO 639-1', sdkRequest({ ...SDK_MIN, language: 'english' }), ['language']],
    ['quantity not an integer', sdkRequest({ ...SDK_MIN, quantity: 1.5 }), ['quantity']],
    ['address_id as a string', sdkRequest({ ...SDK_MIN, address_id: '3' }), ['address_id']],
    ['replace_upcoming_phases as a string', sdkRequest({ ...SDK_MIN, replace_upcoming_phases: 'true' }), ['replace_upcoming_phases']],
    ['empty coupon_code', sdkRequest({ ...SDK_MIN, coupon_code: '' }), ['coupon_code']],
    ['unknown body field', sdkRequest({ ...SDK_MIN, user_id: 3 }), ['user_id']],
    ['body not an object', sdkRequest(null), ['(body)']],
    ['missing site_id', sdkRequest(SDK_MIN, { query: {} }), ['query.site_id']],
    ['site_id not a number', sdkRequest(SDK_MIN, { query: { site_id: 'abc' } }), ['query.site_id']],
    ['site_id zero', sdkRequest(SDK_MIN, { query: { site_id: '0' } }), ['query.site_id']],
    ['site_id negative', sdkRequest(SDK_MIN, { query: { site_id: '-1' } }), ['query.site_id']],
    ['site_id fractional', sdkRequest(SDK_MIN, { query: { site_id: '1.5' } }), ['query.site_id']],
    ['site_id beyond int32', sdkRequest(SDK_MIN, { query: { site_id: '2147483648' } }), ['query.site_id']],
    ['missing JWT', sdkRequest(SDK_MIN, { headers: {} }), ['headers.authorization']],
    ['empty authorization', sdkRequest(SDK_MIN, { headers: { authorization: '' } }), ['headers.authorization']],
    ['Basic instead of Bearer', sdkRequest(SDK_MIN, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), ['headers.authorization']],
    ['Bearer without a token', sdkRequest(SDK_MIN, { headers: { authorization: 'Bearer ' } }), ['headers.authorization']],
    ['token without a scheme', sdkRequest(SDK_MIN, { headers: { authorization: JWT } }), ['headers.authorization']],
    ['a Bearer token that is not a JWT', sdkRequest(SDK_MIN, { headers: { authorization: 'Bearer not-a-jwt' } }), ['headers.authorization']],
    ['a JWT missing its signature', sdkRequest(SDK_MIN, { headers: { authorization: `Bearer ${JWT.slice(0, JWT.lastIndexOf('.') + 1)}` } }), ['headers.authorization']],
    ['two JWT parts only', sdkRequest(SDK_MIN, { headers: { authorization: `Bearer ${JWT.slice(0, JWT.lastIndexOf('.'))}` } }), ['headers.authorization']],
    ['a JWT header that is not base64url JSON', sdkRequest(SDK_MIN, { headers: { authorization: `Bearer abc.${JWT.split('.').slice(1).join('.')}` } }), ['headers.authorization']],
    [
      'everything wrong at once',
      sdkRequest({ plan_id: 'x', payment_gateway: 'paypal' }, { query: {}, headers: {} }),
      ['headers.authorization', 'payment_gateway', 'plan_id', 'query.site_id', 'subscription_id'],
    ],
  ];
  it.each(invalid)('%s → an error at the Pelcro field', (_name, request, expected) => {
    expect(paths(normalizePelcroSdk(request))).toEqual(expected);
  });

  it('says what is wrong in words a caller understands', () => {
    const r = normalizePelcroSdk(sdkRequest({ subscription_id: 555, user_id: 1, campaign_key: 'a!' }, { query: { site_id: 'x' } }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(
      expect.arrayContaining([
        { path: 'plan_id', message: 'is required' },
        { path: 'user_id', message: 'is not a known field' },
        { path: 'campaign_key', message: 'must be 3–191 letters, digits, "-" or "_"' },
        { path: 'query.site_id', message: 'must be a positive integer' },
      ]),
    );
  });

  it('never echoes the authorization header in an error', () => {
    const secret = 'Token super-secret-value-123';
    const r = normalizePelcroSdk(sdkRequest(SDK_MIN, { headers: { authorization: secret } }));
    expect(JSON.stringify(r)).not.toContain('super-secret-value-123');
  });

  it('maps every SDK body field except subscription_id', () => {
    const mapped = PELCRO_SDK_FIELDS.map(([native]) => native as string);
    expect([...mapped, 'subscription_id'].sort()).toEqual(Object.keys(pelcroSdkRenewBody.shape).sort());
  });
});

describe('Pelcro Core normalizer', () => {
  it('maps the required fields, the site and the user', () => {
    expect(normalizePelcroCore(coreRequest(CORE_MIN))).toEqual({
      ok: true,
      value: {
        provider: 'pelcro',
        operation: 'renew',
        subscription: '555',
        params: { api: 'core', siteId: 7, userId: 99, planId: 12, quantity: 1, source: 'API' },
      },
    });
  });

  it('maps every optional field, charge_automatically with its source_id', () => {
    const body = {
      ...CORE_MIN,
      address_id: 3,
      auto_renew: false,
      campaign_key: 'winback',
      coupon_code: 'BACK20',
      replace_upcoming_phases: true,
      collection_method: 'charge_automatically',
      source_id: 4,
    };
    expect(normalizePelcroCore(coreRequest(body))).toEqual({
      ok: true,
      value: {
        provider: 'pelcro',
        operation: 'renew',
        subscription: '555',
        params: {
          api: 'core',
          siteId: 7,
          userId: 99,
          planId: 12,
          quantity: 1,
          source: 'API',
          addressId: 3,
          autoRenew: false,
          campaignKey: 'winback',
          couponCode: 'BACK20',
          replaceUpcomingPhases: true,
          collectionMethod: 'charge_automatically',
          sourceId: 4,
        },
      },
    });
  });

  it('says why a source_id is needed when it is missing', () => {
    const r = normalizePelcroCore(coreRequest({ ...CORE_MIN, collection_method: 'charge_automatically' }));
    expect(r.ok ? [] : r.errors).toEqual([{ path: 'source_id', message: 'is required when collection_method is charge_automatically' }]);
  });

  it('takes send_invoice without a source_id', () => {
    expect(normalizePelcroCore(coreRequest({ ...CORE_MIN, collection_method: 'send_invoice' })).ok).toBe(true);
  });

  const invalid: Array<[string, NativeRequest, string[]]> = [
    ['missing source', coreRequest({ subscription_id: 555, plan_id: 12, quantity: 1 }), ['source']],
    ['missing quantity', coreRequest({ subscription_id: 555, plan_id: 12, source: 'API' }), ['quantity']],
    ['quantity not an integer', coreRequest({ ...CORE_MIN, quantity: 1.5 }), ['quantity']],
    ['quantity as a string', coreRequest({ ...CORE_MIN, quantity: '1' }), ['quantity']],
    ['subscription_id negative', coreRequest({ ...CORE_MIN, subscription_id: -5 }), ['subscription_id']],
    ['charge_automatically without source_id', coreRequest({ ...CORE_MIN, collection_method: 'charge_automatically' }), ['source_id']],
    ['collection_method out of the enum', coreRequest({ ...CORE_MIN, collection_method: 'paypal' }), ['collection_method']],
    ['auto_renew as a string', coreRequest({ ...CORE_MIN, auto_renew: 'yes' }), ['auto_renew']],
    ['invalid campaign_key', coreRequest({ ...CORE_MIN, campaign_key: 'a!b' }), ['campaign_key']],
    ['an SDK-only field', coreRequest({ ...CORE_MIN, payment_gateway: 'stripe' }), ['payment_gateway']],
    ['missing user_id', coreRequest(CORE_MIN, { query: { site_id: '7' } }), ['query.user_id']],
    ['user_id not a number', coreRequest(CORE_MIN, { query: { site_id: '7', user_id: 'me' } }), ['query.user_id']],
    ['both query params missing', coreRequest(CORE_MIN, { query: {} }), ['query.site_id', 'query.user_id']],
  ];
  it.each(invalid)('%s → an error at the Pelcro field', (_name, request, expected) => {
    expect(paths(normalizePelcroCore(request))).toEqual(expected);
  });

  it('maps every Core body field except subscription_id', () => {
    const mapped = PELCRO_CORE_FIELDS.map(([native]) => native as string);
    expect([...mapped, 'subscription_id'].sort()).toEqual(Object.keys(pelcroCoreRenewBody.shape).sort());
  });
});

describe('Pelcro request building', () => {
  const config: ProviderConfig = { baseUrl: 'https://www.pelcro.com', secrets: { PELCRO_API_KEY: 'pk_live_123' }, settings: {} };
  const core: QueuedRenewal = {
    v: 1,
    id: 'rnw_x',
    idempotencyKey: 'k',
    provider: 'pelcro',
    operation: 'renew',
    subscription: '555',
    params: { api: 'core', siteId: 7, userId: 99, planId: 12, quantity: 1, source: 'API' },
  };

  it.each([
    ['https://staging.pelcro.com/', 'https://staging.pelcro.com/api/v1/core/subscriptions/renew?site_id=7&user_id=99'],
    ['http://127.0.0.1:9100/pelcro//', 'http://127.0.0.1:9100/pelcro/api/v1/core/subscriptions/renew?site_id=7&user_id=99'],
  ])('joins base %s without a double slash, keeping its prefix', (baseUrl, url) => {
    expect(pelcro.buildRequest(core, { ...config, baseUrl }).url).toBe(url);
  });

  it('refuses a queued message whose params break the contract, naming paths but not values', () => {
    const bad = { ...core, params: { api: 'sdk', siteId: 7, planId: 12, customerToken: '' } };
    expect(() => pelcro.buildRequest(bad, config)).toThrow(/params\.customerToken/);
    expect(() => pelcro.buildRequest({ ...core, provider: 'punchh' }, config)).toThrow(/not pelcro\/renew/);
    expect(() => pelcro.buildRequest({ ...core, subscription: '2147483648' }, config)).toThrow(/int32/);
  });

  it('is not idempotent and has no period', () => {
    expect(pelcro.idempotentCall).toBe(false);
    expect(pelcro.periodOf).toBeUndefined();
  });
});


describe('Pelcro classification, response by response', () => {
  const customer = {
    data: { id: 42, email: 'jane.doe@example.com', auth_token: FRESH_JWT, subscriptions: [{ id: 555, status: 'active' }] },
  };
  // [name, result, class, httpStatus, retryAfterSeconds, message]
  const cases: Array<[string, CallResult, string, number | undefined, number | undefined, string]> = [
    ['200 customer resource', response(200, customer), 'success', 200, undefined, 'Pelcro renewed the subscription (HTTP 200)'],
    [
      '400 validation errors',
      response(400, { errors: { plan_id: ['The selected plan id is invalid.'], quantity: ['The quantity must be at least 1.'] } }),
      'permanent',
      400,
      undefined,
      'plan_id: The selected plan id is invalid.; quantity: The quantity must be at least 1.',
    ],
    ['400 business rule {message}', response(400, { message: 'The subscription is already scheduled to renew.' }), 'permanent', 400, undefined, 'The subscription is already scheduled to renew.'],
    [
      '400 business rule {error:{status,message}}',
      response(400, { error: { status: 400, message: 'Coupon is not applicable to this plan.' } }),
      'permanent',
      400,
      undefined,
      'Coupon is not applicable to this plan.',
    ],
    ['400 without a readable body', response(400, '<html>Bad Request</html>'), 'permanent', 400, undefined, 'Pelcro rejected the request (validation or business rule) (HTTP 400)'],
    ['401 no token', response(401, { message: 'Unauthenticated.' }), 'auth', 401, undefined, 'Unauthenticated.'],
    ['401 empty body', response(401), 'auth', 401, undefined, 'Pelcro asked for a token (none was accepted) (HTTP 401)'],
    ['403 invalid or expired token', response(403, { error: { status: 403, message: 'Token has expired' } }), 'auth', 403, undefined, 'Token has expired'],
    ['404 unknown subscription', response(404, { message: 'Subscription not found.' }), 'permanent', 404, undefined, 'Subscription not found.'],
    ['404 unknown coupon', response(404, { error: { status: 404, message: 'Coupon not found.' } }), 'permanent', 404, undefined, 'Coupon not found.'],
    ['409 conflict (undocumented)', response(409, { message: 'Conflict' }), 'permanent', 409, undefined, 'Conflict'],
    ['422 (undocumented)', response(422, { message: 'The given data was invalid.', errors: { source: ['The source field is required.'] } }), 'permanent', 422, undefined, 'The given data was invalid.; source: The source field is required.'],
    ['418 other 4xx', response(418), 'permanent', 418, undefined, 'Pelcro rejected the request (HTTP 418)'],
    ['429 with Retry-After', response(429, { message: 'Too Many Attempts.' }, { 'retry-after': '30' }), 'retryable', 429, 30, 'Too Many Attempts.'],
    ['429 without Retry-After', response(429), 'retryable', 429, undefined, 'Pelcro rate limit (120 calls per minute per account) (HTTP 429)'],
    ['503 with Retry-After', response(503, 'Service Unavailable', { 'retry-after': '5' }), 'retryable', 503, 5, 'Pelcro is unavailable (HTTP 503)'],
    ['500', response(500, { message: 'Server Error' }), 'ambiguous', 500, undefined, 'Server Error'],
    ['502', response(502, '<html>Bad gateway</html>'), 'ambiguous', 502, undefined, 'Pelcro server error: the renewal may or may not have been applied (HTTP 502)'],
    ['504 (Retry-After ignored: not retryable)', response(504, '', { 'retry-after': '5' }), 'ambiguous', 504, undefined, 'Pelcro server error: the renewal may or may not have been applied (HTTP 504)'],
    ['301 redirect (misconfigured base URL)', response(301, '', { location: 'https://x' }), 'auth', 301, undefined, 'unexpected answer from Pelcro: check PELCRO_BASE_URL (HTTP 301)'],
    ['600, a status no row names', response(600, { message: 'odd' }), 'auth', 600, undefined, 'unexpected answer from Pelcro: check PELCRO_BASE_URL (HTTP 600)'],
    ['connection refused', { kind: 'not-sent', code: 'ECONNREFUSED', latencyMs: 1 }, 'retryable', undefined, undefined, 'connection failed before the request was sent (ECONNREFUSED)'],
    ['reset after sending', { kind: 'no-answer', code: 'ECONNRESET', latencyMs: 1 }, 'ambiguous', undefined, undefined, 'no answer after the request was sent (ECONNRESET); it may have taken effect'],
    ['timeout', { kind: 'no-answer', code: 'TIMEOUT', latencyMs: 1 }, 'ambiguous', undefined, undefined, 'no answer after the request was sent (TIMEOUT); it may have taken effect'],
  ];
  it.each(cases)('%s', (_name, result, cls, httpStatus, retryAfter, message) => {
    const c = pelcro.classify(result);
    expect(c.class).toBe(cls);
    expect(c.httpStatus).toBe(httpStatus);
    expect(c.retryAfterSeconds).toBe(retryAfter);
    expect(c.message).toBe(message);
  });

  it('never puts the fresh customer JWT (or anything of the 200 body) in the message', () => {
    // Quotable: a `message` Pelcro's error shapes would read, naming the customer and the token.
    const quotable = { ...customer, message: `Renewed for jane.doe@example.com, token ${FRESH_JWT}` };
    const c = pelcro.classify(response(200, quotable));
    expect(c.message).toBe('Pelcro renewed the subscription (HTTP 200)');
    expect(c.message).not.toContain('Renewed for');
    expect(c.message).not.toContain('eyJ');
    expect(c.message).not.toContain('j***');
  });

  it('redacts tokens and masks emails that a provider message carries', () => {
    const c = pelcro.classify(response(403, { message: `Token ${FRESH_JWT} for jane.doe@example.com is expired` }));
    expect(c.message).not.toContain(FRESH_JWT);
    expect(c.message).toContain('j***@example.com');
  });
});

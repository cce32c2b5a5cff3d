import { describe, expect, it } from 'vitest';
import { normalizePunchh } from './native';
import { call as punchh } from './call';
import type { CallResult, NativeRequest, ProviderConfig } from '../types';
import type { CanonicalRequest, ValidationResult } from '../../domain/canonical';
import type { QueuedRenewal } from '../../domain/renewal';
import { response } from '../../../test/support/responses';

const request = (body: unknown): NativeRequest => ({ body, query: {}, path: {}, headers: {} });
const paths = (r: ValidationResult<CanonicalRequest>): string[] => (r.ok ? [] : r.errors.map((e) => e.path).sort());
const BODY = { subscription_id: 40, start_time: '2026-12-01T00:00:00Z', end_time: '2027-01-01T00:00:00Z', purchase_price: 9.99 };

describe('Punchh normalizer', () => {
  it('maps the body to the canonical request (the Punchh example of docs/architecture.md)', () => {
    expect(normalizePunchh(request(BODY))).toEqual({
      ok: true,
      value: {
        provider: 'punchh',
        operation: 'renew',
        subscription: '40',
        params: { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 },
      },
    });
  });

  it('maps new_plan_id when switching plan, and keeps offsets as written', () => {
    const body = { ...BODY, start_time: '2026-12-01T01:00:00.000+01:00', end_time: '2027-03-01T00:00:00-05:00', new_plan_id: 7, purchase_price: 0 };
    expect(normalizePunchh(request(body))).toEqual({
      ok: true,
      value: {
        provider: 'punchh',
        operation: 'renew',
        subscription: '40',
        params: { startTime: '2026-12-01T01:00:00.000+01:00', endTime: '2027-03-01T00:00:00-05:00', purchasePrice: 0, newPlanId: 7 },
      },
    });
  });

  const invalid: Array<[string, unknown, string[]]> = [
    ['missing subscription_id', { ...BODY, subscription_id: undefined }, ['subscription_id']],
    ['subscription_id as a string', { ...BODY, subscription_id: '40' }, ['subscription_id']],
    ['subscription_id not an integer', { ...BODY, subscription_id: 40.5 }, ['subscription_id']],
    ['subscription_id zero', { ...BODY, subscription_id: 0 }, ['subscription_id']],
    ['missing start_time', { ...BODY, start_time: undefined }, ['start_time']],
    ['start_time without a zone', { ...BODY, start_time: '2026-12-01T00:00:00' }, ['start_time']],
    ['start_time a date only', { ...BODY, start_time: '2026-12-01' }, ['start_time']],
    ['end_time not a date', { ...BODY, end_time: 'next month' }, ['end_time']],
    ['end before start', { ...BODY, end_time: '2026-11-01T00:00:00Z' }, ['end_time']],
    ['end equal to start (other notation)', { ...BODY, end_time: '2026-12-01T01:00:00+01:00' }, ['end_time']],
    ['missing purchase_price', { ...BODY, purchase_price: undefined }, ['purchase_price']],
    ['purchase_price as a string', { ...BODY, purchase_price: '9.99' }, ['purchase_price']],
    ['purchase_price negative', { ...BODY, purchase_price: -1 }, ['purchase_price']],
    ['new_plan_id not an integer', { ...BODY, new_plan_id: 2.5 }, ['new_plan_id']],
    ['new_plan_id as a string', { ...BODY, new_plan_id: '7' }, ['new_plan_id']],
    ['unknown field (price)', { ...BODY, price: 9.99 }, ['price']],
    ['body an array', [BODY], ['(body)']],
  ];
  it.each(invalid)('%s → an error at the Punchh field', (_name, body, expected) => {
    expect(paths(normalizePunchh(request(body)))).toEqual(expected);
  });

  it('says what is wrong in words a caller understands', () => {
    const r = normalizePunchh(request({ subscription_id: 40, start_time: '2026-12-01', end_time: '2027-01-01T00:00:00Z' }));
    expect(r.ok ? [] : r.errors).toEqual(
      expect.arrayContaining([
        { path: 'start_time', message: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T00:00:00Z' },
        { path: 'purchase_price', message: 'is required' },
      ]),
    );
    const order = normalizePunchh(request({ ...BODY, end_time: '2026-01-01T00:00:00Z' }));
    expect(order.ok ? [] : order.errors).toEqual([{ path: 'end_time', message: 'must be after start_time' }]);
  });
});

const renewal = (params: Record<string, unknown>, subscription = '40'): QueuedRenewal => ({
  v: 1,
  id: 'rnw_x',
  idempotencyKey: 'k',
  provider: 'punchh',
  operation: 'renew',
  subscription,
  params,
});

describe('Punchh period', () => {
  const base = { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 };

  it('is the subscription and the term in UTC', () => {
    expect(punchh.periodOf?.(renewal(base))).toBe('40:2026-12-01T00:00:00.000Z/2027-01-01T00:00:00.000Z');
  });

  it.each([
    ['milliseconds and +00:00', { startTime: '2026-12-01T00:00:00.000+00:00', endTime: '2027-01-01T00:00:00.000+00:00' }],
    ['another offset', { startTime: '2026-12-01T01:00:00+01:00', endTime: '2026-12-31T19:00:00-05:00' }],
  ])('is the same instant written with %s', (_name, times) => {
    expect(punchh.periodOf?.(renewal({ ...base, ...times }))).toBe(punchh.periodOf?.(renewal(base)));
  });

  it('differs per subscription and per term, whatever the price or plan', () => {
    const p = punchh.periodOf?.(renewal(base));
    expect(punchh.periodOf?.(renewal(base, '41'))).not.toBe(p);
    expect(punchh.periodOf?.(renewal({ ...base, endTime: '2027-02-01T00:00:00Z' }))).not.toBe(p);
    expect(punchh.periodOf?.(renewal({ ...base, purchasePrice: 1, newPlanId: 3 }))).toBe(p);
  });

  it('is undefined when the term is unreadable', () => {
    expect(punchh.periodOf?.(renewal({ purchasePrice: 1 }))).toBeUndefined();
    expect(punchh.periodOf?.(renewal({ ...base, startTime: 'soon' }))).toBeUndefined();
  });
});

describe('Punchh request building', () => {
  const config: ProviderConfig = { baseUrl: 'https://brand.punchh.com', secrets: { PUNCHH_ADMIN_KEY: 'admin-key' }, settings: {} };
  const params = { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 };

  it('refuses a subscription id that a double cannot hold exactly, rather than round it', () => {
    expect(() => punchh.buildRequest(renewal(params, '9999999999999999'), config)).toThrow(/safe integer/);
  });

  it('refuses a queued message whose params break the contract', () => {
    expect(() => punchh.buildRequest(renewal({ ...params, purchasePrice: 'free' }), config)).toThrow(/params\.purchasePrice/);
    expect(() => punchh.buildRequest({ ...renewal(params), provider: 'pelcro' }, config)).toThrow(/not punchh\/renew/);
  });

  it('is not idempotent', () => {
    expect(punchh.idempotentCall).toBe(false);
  });
});


describe('Punchh classification, response by response', () => {
  // [name, result, class, httpStatus, retryAfterSeconds, message]
  const cases: Array<[string, CallResult, string, number | undefined, number | undefined, string]> = [
    [
      '200 renewed',
      response(200, { subscription_id: 40, start_time: '2026-12-01T00:00:00Z', end_time: '2027-01-01T00:00:00Z', external_plan_identifier: 'SKU-1' }),
      'success',
      200,
      undefined,
      'Punchh renewed subscription 40 from 2026-12-01T00:00:00Z to 2027-01-01T00:00:00Z',
    ],
    ['200 with an unexpected body', response(200, 'OK'), 'success', 200, undefined, 'Punchh renewed the subscription'],
    ['401 sign in', response(401, { error: 'You need to sign in or sign up before continuing.' }), 'auth', 401, undefined, 'You need to sign in or sign up before continuing.'],
    ['403 (undocumented)', response(403), 'auth', 403, undefined, 'Punchh refused the business admin key (HTTP 403)'],
    ['406 invalid_subscription', response(406, { invalid_subscription: 'Invalid User Subscription.' }), 'permanent', 406, undefined, 'Invalid User Subscription.'],
    ['406 invalid (schema key)', response(406, { invalid: 'Subscription cannot be renewed.' }), 'permanent', 406, undefined, 'Subscription cannot be renewed.'],
    ['406 without a body', response(406), 'permanent', 406, undefined, 'Punchh cannot renew this subscription (HTTP 406)'],
    ['422 base: Invalid Plan ID', response(422, { errors: { base: ['Invalid Plan ID'] } }), 'permanent', 422, undefined, 'Invalid Plan ID'],
    ['422 base: Plan is not active.', response(422, { errors: { base: ['Plan is not active.'] } }), 'permanent', 422, undefined, 'Plan is not active.'],
    ['422 base: Plan has expired.', response(422, { errors: { base: ['Plan has expired.'] } }), 'permanent', 422, undefined, 'Plan has expired.'],
    [
      '422 base: Plan is not available for purchase.',
      response(422, { errors: { base: ['Plan is not available for purchase.'] } }),
      'permanent',
      422,
      undefined,
      'Plan is not available for purchase.',
    ],
    [
      '422 field errors',
      response(422, { errors: { start_time: ["can't be blank"], end_time: ['must be after start time'], price: ['is not a number'] } }),
      'permanent',
      422,
      undefined,
      "start_time: can't be blank; end_time: must be after start time; price: is not a number",
    ],
    [
      '422 disabled_feature (brand configuration)',
      response(422, { errors: { disabled_feature: 'Subscriptions are disabled for this business.' } }),
      'auth',
      422,
      undefined,
      'disabled_feature: Subscriptions are disabled for this business.',
    ],
    [
      '422 disabled_feature as a list',
      response(422, { errors: { disabled_feature: ['Subscription feature is disabled'] } }),
      'auth',
      422,
      undefined,
      'disabled_feature: Subscription feature is disabled',
    ],
    ['422 without a body', response(422, ''), 'permanent', 422, undefined, 'Punchh rejected a field of the request (HTTP 422)'],
    ['400 (undocumented)', response(400, ''), 'permanent', 400, undefined, 'Punchh rejected the request (HTTP 400)'],
    ['404 (undocumented)', response(404, '<html>'), 'permanent', 404, undefined, 'Punchh does not know the subscription (HTTP 404)'],
    ['429 with Retry-After', response(429, '', { 'retry-after': '60' }), 'retryable', 429, 60, 'Punchh rate limit (HTTP 429)'],
    ['503 with Retry-After', response(503, '', { 'retry-after': '2' }), 'retryable', 503, 2, 'Punchh is unavailable (HTTP 503)'],
    ['503 without Retry-After', response(503), 'retryable', 503, undefined, 'Punchh is unavailable (HTTP 503)'],
    ['500', response(500), 'ambiguous', 500, undefined, 'Punchh server error: the renewal may or may not have been applied (HTTP 500)'],
    ['502', response(502), 'ambiguous', 502, undefined, 'Punchh server error: the renewal may or may not have been applied (HTTP 502)'],
    ['504', response(504), 'ambiguous', 504, undefined, 'Punchh server error: the renewal may or may not have been applied (HTTP 504)'],
    ['302 redirect (misconfigured host)', response(302), 'auth', 302, undefined, 'unexpected answer from Punchh: check PUNCHH_BASE_URL (HTTP 302)'],
    ['connection refused', { kind: 'not-sent', code: 'ECONNREFUSED', latencyMs: 1 }, 'retryable', undefined, undefined, 'connection failed before the request was sent (ECONNREFUSED)'],
    ['timeout', { kind: 'no-answer', code: 'TIMEOUT', latencyMs: 1 }, 'ambiguous', undefined, undefined, 'no answer after the request was sent (TIMEOUT); it may have taken effect'],
  ];
  it.each(cases)('%s', (_name, result, cls, httpStatus, retryAfter, message) => {
    const c = punchh.classify(result);
    expect(c.class).toBe(cls);
    expect(c.httpStatus).toBe(httpStatus);
    expect(c.retryAfterSeconds).toBe(retryAfter);
    expect(c.message).toBe(message);
  });

  it('lets disabled_feature win over other 422 errors: configuration needs a person', () => {
    expect(punchh.classify(response(422, { errors: { base: ['Invalid Plan ID'], disabled_feature: 'off' } })).class).toBe('auth');
  });

  it('sanitizes provider messages', () => {
    const c = punchh.classify(response(401, { error: 'Bearer abc.def.ghi rejected for ops@brand.com' }));
    expect(c.message).toBe('Bearer [redacted] rejected for o***@brand.com');
  });
});

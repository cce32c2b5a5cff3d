/**
 * Pelcro, beyond providers/pelcro.test.ts: the whole classification table status by status,
 * which answers may be quoted (never a 2xx: it carries a fresh customer JWT), the error shapes
 * read, the normalizers' words and edges, and the queued message checked again before a call.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decide } from '../../shared/domain/retry';
import type { QueuedRenewal } from '../../shared/domain/renewal';
import type { CallResult, Classification, NativeRequest, ProviderConfig } from '../../shared/providers/types';
import { response } from '../support/responses';
import { normalizePelcroCore, normalizePelcroSdk, pelcro } from '../support/providers';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const FRESH_JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsImZyZXNoIjp0cnVlfQ.ZnJlc2gtc2lnbmF0dXJlLXh5eg';
const config: ProviderConfig = { baseUrl: 'https://www.pelcro.com', secrets: { PELCRO_API_KEY: 'pk_live_123' }, settings: {} };
const SDK_MIN = { plan_id: 12, subscription_id: 555 };
const CORE_MIN = { subscription_id: 555, plan_id: 12, quantity: 1, source: 'API' };
const sdk = (body: unknown, over: Partial<NativeRequest> = {}): NativeRequest => ({ body, query: { site_id: '7' }, path: {}, headers: { authorization: `Bearer ${JWT}` }, ...over });
const core = (body: unknown, over: Partial<NativeRequest> = {}): NativeRequest => ({ body, query: { site_id: '7', user_id: '99' }, path: {}, headers: {}, ...over });
const errorsOf = (r: ReturnType<typeof normalizePelcroSdk>) => (r.ok ? [] : r.errors);

/** docs/architecture.md#response-classification-and-retries, Pelcro's column. */
const expectedClass = (status: number): Classification['class'] => {
  if (status >= 200 && status <= 299) return 'success';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || status === 503) return 'retryable';
  if (status >= 500 && status <= 599) return 'ambiguous';
  if (status >= 400 && status <= 499) return 'permanent';
  return 'auth'; // 1xx, 3xx and anything outside HTTP's range: check PELCRO_BASE_URL
};

describe('Pelcro classification table, every status', () => {
  it('classes each status from 100 to 599 as documented', () => {
    const wrong: string[] = [];
    for (let status = 100; status <= 599; status++) {
      const got = pelcro.classify(response(status)).class;
      if (got !== expectedClass(status)) wrong.push(`${status}: ${got}, expected ${expectedClass(status)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('says what each documented status means when the body says nothing', () => {
    const notes: Array<[number, string]> = [
      [200, 'Pelcro renewed the subscription'],
      [299, 'Pelcro renewed the subscription'],
      [400, 'Pelcro rejected the request (validation or business rule)'],
      [401, 'Pelcro asked for a token (none was accepted)'],
      [403, 'Pelcro refused the token (invalid or expired)'],
      [404, 'Pelcro does not know the subscription, plan or coupon'],
      [409, 'Pelcro reported a conflict'],
      [422, 'Pelcro rejected the request'],
      [499, 'Pelcro rejected the request'],
      [429, 'Pelcro rate limit (120 calls per minute per account)'],
      [503, 'Pelcro is unavailable'],
      [500, 'Pelcro server error: the renewal may or may not have been applied'],
      [599, 'Pelcro server error: the renewal may or may not have been applied'],
      [100, 'unexpected answer from Pelcro: check PELCRO_BASE_URL'],
      [302, 'unexpected answer from Pelcro: check PELCRO_BASE_URL'],
      [399, 'unexpected answer from Pelcro: check PELCRO_BASE_URL'],
    ];
    for (const [status, note] of notes) expect(pelcro.classify(response(status)).message, String(status)).toBe(`${note} (HTTP ${status})`);
  });

  it('an answer outside HTTP’s range is a configuration problem too', () => {
    expect(pelcro.classify(response(600))).toStrictEqual({ class: 'auth', httpStatus: 600, message: 'unexpected answer from Pelcro: check PELCRO_BASE_URL (HTTP 600)' });
    expect(pelcro.classify(response(99)).class).toBe('auth');
  });

  it('keeps Retry-After only for 429 and 503, and only when given', () => {
    expect(pelcro.classify(response(503, '', { 'retry-after': '5' }))).toHaveProperty('retryAfterSeconds', 5);
    expect(pelcro.classify(response(429))).not.toHaveProperty('retryAfterSeconds');
    for (const status of [400, 401, 500, 502, 302]) expect(pelcro.classify(response(status, '', { 'retry-after': '5' })), String(status)).not.toHaveProperty('retryAfterSeconds');
  });
});

describe('what Pelcro said, quoted only where it may be', () => {
  it('never puts anything of a 200 body in the message, even a readable message field', () => {
    const body = {
      message: 'Subscription renewed for jane.doe@example.com',
      error: 'none',
      errors: { note: ['kept for jane'] },
      data: { id: 42, email: 'jane.doe@example.com', auth_token: FRESH_JWT },
    };
    const c = pelcro.classify(response(200, body));
    expect(c).toStrictEqual({ class: 'success', httpStatus: 200, message: 'Pelcro renewed the subscription (HTTP 200)' });
    expect(c.message).not.toContain('renewed for');
    expect(c.message).not.toContain('jane');
  });

  it('never quotes a 1xx/3xx body (a proxy or another service answered)', () => {
    expect(pelcro.classify(response(302, { message: 'Moved to the login page' })).message).toBe('unexpected answer from Pelcro: check PELCRO_BASE_URL (HTTP 302)');
  });

  it('quotes the message of every error status', () => {
    for (const status of [400, 401, 403, 404, 409, 418, 422, 429, 500, 502, 503]) {
      expect(pelcro.classify(response(status, { message: 'Pelcro says no' })).message, String(status)).toBe('Pelcro says no');
    }
  });

  it('reads a bare error string, a nested error message, and field errors of one or several texts', () => {
    expect(pelcro.classify(response(401, { error: 'Unauthenticated.' })).message).toBe('Unauthenticated.');
    expect(pelcro.classify(response(403, { error: { status: 403, message: 'Token has expired' } })).message).toBe('Token has expired');
    expect(pelcro.classify(response(400, { errors: { plan_id: ['is invalid', 'is inactive'] } })).message).toBe('plan_id: is invalid is inactive');
    expect(pelcro.classify(response(400, { errors: { plan_id: 'is invalid' } })).message).toBe('plan_id: is invalid');
    expect(pelcro.classify(response(400, { message: 'Invalid.', errors: { plan_id: ['bad', 7, null], quantity: [3] } })).message).toBe('Invalid.; plan_id: bad');
    expect(pelcro.classify(response(400, { errors: { quantity: [3] } })).message).toBe('Pelcro rejected the request (validation or business rule) (HTTP 400)');
  });

  it('one odd part does not hide the others', () => {
    expect(pelcro.classify(response(400, { message: 5, error: 'Coupon expired', errors: 'x' })).message).toBe('Coupon expired');
    expect(pelcro.classify(response(400, { message: 'Kept', error: 5, errors: { plan_id: { nested: true } } })).message).toBe('Kept');
  });
});

describe('a Pelcro call is not safe to repeat', () => {
  it('is declared so, and a timeout or a 5xx ends needing a person', () => {
    expect(pelcro.idempotentCall).toBe(false);
    for (const result of [{ kind: 'no-answer', code: 'TIMEOUT', latencyMs: 10_000 }, response(500), response(504)] as CallResult[]) {
      expect(decide(pelcro.classify(result), 1, pelcro.idempotentCall, DEFAULT_RETRY_POLICY).status).toBe('needs_attention');
    }
  });
});

describe('Pelcro normalizers: edges and words', () => {
  it('accepts the int32 maximum in the query and refuses one more, saying why', () => {
    const ok = normalizePelcroSdk(sdk(SDK_MIN, { query: { site_id: '2147483647' } }));
    expect(ok.ok && ok.value.params.siteId).toBe(2_147_483_647);
    expect(errorsOf(normalizePelcroSdk(sdk(SDK_MIN, { query: { site_id: '2147483648' } })))).toEqual([{ path: 'query.site_id', message: 'must be at most 2147483647 (int32)' }]);
  });

  it('names a bad value by what is wrong with it, and a missing one as required', () => {
    expect(errorsOf(normalizePelcroSdk(sdk({ ...SDK_MIN, plan_id: 0 })))).toEqual([{ path: 'plan_id', message: 'must be a positive integer' }]);
    expect(errorsOf(normalizePelcroSdk(sdk({ ...SDK_MIN, plan_id: 2 ** 31 })))).toEqual([{ path: 'plan_id', message: 'must be at most 2147483647 (int32)' }]);
    expect(errorsOf(normalizePelcroSdk(sdk({ ...SDK_MIN, coupon_code: '' })))).toEqual([{ path: 'coupon_code', message: 'must not be empty' }]);
    expect(errorsOf(normalizePelcroSdk(sdk({ ...SDK_MIN, language: 'french' })))).toEqual([{ path: 'language', message: 'must be an ISO 639-1 code such as "en"' }]);
    expect(errorsOf(normalizePelcroCore(core({ ...CORE_MIN, source: '' })))).toEqual([{ path: 'source', message: 'must not be empty' }]);
    expect(errorsOf(normalizePelcroCore(core({ ...CORE_MIN, collection_method: 'charge_automatically' })))).toEqual([
      { path: 'source_id', message: 'is required when collection_method is charge_automatically' },
    ]);
    const wrongType = errorsOf(normalizePelcroSdk(sdk({ ...SDK_MIN, plan_id: 'twelve' })));
    expect(wrongType.map((e) => e.path)).toEqual(['plan_id']);
    expect(wrongType[0]?.message).not.toBe('is required');
    expect(errorsOf(normalizePelcroSdk(sdk({ subscription_id: 555 })))).toEqual([{ path: 'plan_id', message: 'is required' }]);
    expect(errorsOf(normalizePelcroCore(core({ ...CORE_MIN, source: undefined })))).toEqual([{ path: 'source', message: 'is required' }]);
    expect(errorsOf(normalizePelcroCore(core(CORE_MIN, { query: { site_id: '7' } })))).toEqual([{ path: 'query.user_id', message: 'is required' }]);
  });

  it('leaves absent optional fields absent (Pelcro applies its own defaults)', () => {
    expect(normalizePelcroSdk(sdk(SDK_MIN))).toStrictEqual({
      ok: true,
      value: { provider: 'pelcro', operation: 'renew', subscription: '555', params: { api: 'sdk', siteId: 7, planId: 12, customerToken: JWT } },
    });
    expect(normalizePelcroCore(core(CORE_MIN))).toStrictEqual({
      ok: true,
      value: { provider: 'pelcro', operation: 'renew', subscription: '555', params: { api: 'core', siteId: 7, userId: 99, planId: 12, quantity: 1, source: 'API' } },
    });
  });

  it('takes the customer token from "Bearer <JWT>" only, with any number of spaces around it', () => {
    for (const authorization of [`Bearer ${JWT}`, `Bearer   ${JWT}`, `BEARER ${JWT}  `]) {
      const r = normalizePelcroSdk(sdk(SDK_MIN, { headers: { authorization } }));
      expect(r.ok && r.value.params.customerToken, authorization).toBe(JWT);
    }
    const notBearer = 'must be "Bearer <token>" with the signed-in customer\'s Pelcro token';
    for (const authorization of [`XBearer ${JWT}`, `Bearer ${JWT} extra`, `Bearer${JWT}`, `Token ${JWT}`]) {
      expect(errorsOf(normalizePelcroSdk(sdk(SDK_MIN, { headers: { authorization } }))), authorization).toEqual([{ path: 'headers.authorization', message: notBearer }]);
    }
    const required = 'is required: the signed-in customer\'s Pelcro token as "Bearer <token>"';
    for (const authorization of [undefined, '', '   ']) {
      expect(errorsOf(normalizePelcroSdk(sdk(SDK_MIN, { headers: { authorization } }))), String(authorization)).toEqual([{ path: 'headers.authorization', message: required }]);
    }
    expect(errorsOf(normalizePelcroSdk(sdk(SDK_MIN, { headers: { authorization: 'Bearer abc.def' } })))).toEqual([
      { path: 'headers.authorization', message: 'the Bearer token must be a JWT (three base64url parts: header.payload.signature)' },
    ]);
  });
});

describe('Pelcro requests from queued messages', () => {
  const queued = (over: Partial<QueuedRenewal> = {}): QueuedRenewal => ({
    v: 1,
    id: 'rnw_x',
    idempotencyKey: 'k',
    provider: 'pelcro',
    operation: 'renew',
    subscription: '555',
    params: { api: 'core', siteId: 7, userId: 99, planId: 12, quantity: 1, source: 'API' },
    ...over,
  });

  it('sends the largest int32 subscription id and refuses anything that is not a plain positive integer', () => {
    expect(JSON.parse(pelcro.buildRequest(queued({ subscription: '2147483647' }), config).body ?? '{}')).toMatchObject({ subscription_id: 2_147_483_647 });
    for (const subscription of ['012', '12x', 'x12', '0', '-1', '2147483648']) {
      expect(() => pelcro.buildRequest(queued({ subscription }), config), subscription).toThrow('renewal rnw_x: Pelcro subscription_id must be a positive int32');
    }
  });

  it('refuses a message for another operation or provider, and names every bad param', () => {
    expect(() => pelcro.buildRequest(queued({ operation: 'renewal-type' }), config)).toThrow('renewal rnw_x is pelcro/renewal-type, not pelcro/renew');
    expect(() => pelcro.buildRequest(queued({ params: { api: 'core', siteId: 7, userId: 99 } }), config)).toThrow(
      'renewal rnw_x has invalid Pelcro params: params.planId, params.quantity, params.source',
    );
  });

  it('sends an empty API key, never "undefined", when none is configured', () => {
    expect(pelcro.buildRequest(queued(), { ...config, secrets: {} }).headers.authorization).toBe('Bearer ');
  });
});

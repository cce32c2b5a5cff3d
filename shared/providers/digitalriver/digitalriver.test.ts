import { describe, expect, it } from 'vitest';
import { normalizeDigitalRiver, type DigitalRiverOperation } from './native';
import { call as digitalriver, validateDigitalRiverSettings } from './call';
import type { CallResult, NativeRequest, ProviderConfig } from '../types';
import type { CanonicalRequest, ValidationResult } from '../../domain/canonical';
import type { QueuedRenewal } from '../../domain/renewal';
import { response } from '../../../test/support/responses';

const request = (body: unknown, subId = 'sub_123'): NativeRequest => ({ body, query: {}, path: { subId }, headers: {} });
const paths = (r: ValidationResult<CanonicalRequest>): string[] => (r.ok ? [] : r.errors.map((e) => e.path).sort());

describe('Digital River normalizers', () => {
  const valid: Array<[DigitalRiverOperation, Record<string, unknown>]> = [
    ['renewal-type', { autoRenewal: false }],
    ['renewal-type', { autoRenewal: true }],
    ['renewal-product', { renewalProductId: '5321623900' }],
    ['renewal-quantity', { renewalQuantity: 3 }],
    ['renewal-quantity', { renewalQuantity: 2_147_483_647 }],
    ['renewal-price', { renewalUnitPrice: 12.5 }],
    ['renewal-price', { renewalUnitPrice: 0 }],
  ];
  it.each(valid)('%s %j → the canonical request with the same camelCase params', (operation, body) => {
    expect(normalizeDigitalRiver(operation)(request(body, 'sub-1.a_B'))).toEqual({
      ok: true,
      value: { provider: 'digitalriver', operation, subscription: 'sub-1.a_B', params: body },
    });
  });

  const invalid: Array<[string, DigitalRiverOperation, NativeRequest, string[]]> = [
    ['autoRenewal missing', 'renewal-type', request({}), ['autoRenewal']],
    ['autoRenewal as a string', 'renewal-type', request({ autoRenewal: 'true' }), ['autoRenewal']],
    ['another operation’s field', 'renewal-type', request({ autoRenewal: true, renewalQuantity: 2 }), ['renewalQuantity']],
    ['renewalProductId empty', 'renewal-product', request({ renewalProductId: '' }), ['renewalProductId']],
    ['renewalProductId as a number', 'renewal-product', request({ renewalProductId: 5321623900 }), ['renewalProductId']],
    ['renewalQuantity not an integer', 'renewal-quantity', request({ renewalQuantity: 1.5 }), ['renewalQuantity']],
    ['renewalQuantity zero', 'renewal-quantity', request({ renewalQuantity: 0 }), ['renewalQuantity']],
    ['renewalQuantity beyond int32', 'renewal-quantity', request({ renewalQuantity: 2 ** 31 }), ['renewalQuantity']],
    ['renewalQuantity as a string', 'renewal-quantity', request({ renewalQuantity: '2' }), ['renewalQuantity']],
    ['renewalUnitPrice as a string', 'renewal-price', request({ renewalUnitPrice: '12.50' }), ['renewalUnitPrice']],
    ['renewalUnitPrice negative', 'renewal-price', request({ renewalUnitPrice: -1 }), ['renewalUnitPrice']],
    ['body not an object', 'renewal-price', request('12.5'), ['(body)']],
    ['subId missing', 'renewal-type', { ...request({ autoRenewal: true }), path: {} }, ['path.subId']],
    ['subId with a slash', 'renewal-type', request({ autoRenewal: true }, 'a/b'), ['path.subId']],
    ['subId too long', 'renewal-type', request({ autoRenewal: true }, 'a'.repeat(101)), ['path.subId']],
    ['subId and body both wrong', 'renewal-quantity', request({ renewalQuantity: 0 }, ''), ['path.subId', 'renewalQuantity']],
  ];
  it.each(invalid)('%s → an error at the Digital River field', (_name, operation, req, expected) => {
    expect(paths(normalizeDigitalRiver(operation)(req))).toEqual(expected);
  });

  it('says what is wrong in words a caller understands', () => {
    const r = normalizeDigitalRiver('renewal-type')(request({ extra: 1 }));
    expect(r.ok ? [] : r.errors).toEqual(
      expect.arrayContaining([
        { path: 'autoRenewal', message: 'is required' },
        { path: 'extra', message: 'is not a known field' },
      ]),
    );
  });
});

describe('Digital River auth header setting', () => {
  it.each([
    [undefined, 'authorization'],
    ['', 'authorization'],
    ['authorization', 'authorization'],
    ['Authorization', 'authorization'],
    ['token', 'token'],
    [' TOKEN ', 'token'],
  ])('%j → %s', (value, header) => {
    expect(validateDigitalRiverSettings({ DIGITALRIVER_AUTH_HEADER: value })).toBe(header);
  });

  it.each(['x-api-key', 'bearer', 'authorization,token'])('refuses %j', (value) => {
    expect(() => validateDigitalRiverSettings({ DIGITALRIVER_AUTH_HEADER: value })).toThrow(/DIGITALRIVER_AUTH_HEADER must be one of authorization, token/);
  });

  it('refuses to build a call with a bad setting', () => {
    const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', provider: 'digitalriver', operation: 'renewal-type', subscription: 's', params: { autoRenewal: true } };
    const config: ProviderConfig = { baseUrl: 'https://api.digitalriver.com', secrets: {}, settings: { DIGITALRIVER_AUTH_HEADER: 'x-token' } };
    expect(() => digitalriver.buildRequest(renewal, config)).toThrow(/DIGITALRIVER_AUTH_HEADER/);
  });
});

describe('Digital River request building', () => {
  const config: ProviderConfig = {
    baseUrl: 'https://api.digitalriver.com',
    secrets: { DIGITALRIVER_API_KEY: 'k', DIGITALRIVER_API_SECRET: 's' },
    settings: {},
  };
  const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', provider: 'digitalriver', operation: 'renewal-quantity', subscription: 's', params: { renewalQuantity: 2 } };

  it('refuses a queued message whose params break the contract or whose operation is not DR’s', () => {
    expect(() => digitalriver.buildRequest({ ...renewal, params: { renewalQuantity: 2, extra: true } }, config)).toThrow(/params\.extra/);
    expect(() => digitalriver.buildRequest({ ...renewal, params: { autoRenewal: true } }, config)).toThrow(/params\.renewalQuantity/);
    expect(() => digitalriver.buildRequest({ ...renewal, operation: 'renew' }, config)).toThrow(/not a Digital River renewal setting/);
  });

  it('is idempotent (each call sets an absolute value) and has no period', () => {
    expect(digitalriver.idempotentCall).toBe(true);
    expect(digitalriver.periodOf).toBeUndefined();
  });
});


describe('Digital River classification, response by response', () => {
  // [name, result, class, httpStatus, retryAfterSeconds, message]
  const cases: Array<[string, CallResult, string, number | undefined, number | undefined, string]> = [
    ['202 Accepted, no body', response(202), 'accepted', 202, undefined, 'Digital River accepted the change; it applies it later (HTTP 202)'],
    ['200 (treated as accepted)', response(200, '{}'), 'accepted', 200, undefined, 'Digital River accepted the change; it applies it later (HTTP 200)'],
    ['204 (treated as accepted)', response(204), 'accepted', 204, undefined, 'Digital River accepted the change; it applies it later (HTTP 204)'],
    [
      '400 {errors:{error:[{code,subCode,description}]}}',
      response(400, { errors: { error: [{ code: 'invalid-request', subCode: 'subscription-state', description: 'Renewal type can not be changed in state Cancelled' }] } }),
      'permanent',
      400,
      undefined,
      'invalid-request/subscription-state: Renewal type can not be changed in state Cancelled',
    ],
    [
      '400 {errors:{error:{…}}} (a single error, not a list)',
      response(400, { errors: { error: { code: 'invalid-quantity', description: 'Quantity must be positive' } } }),
      'permanent',
      400,
      undefined,
      'invalid-quantity: Quantity must be positive',
    ],
    [
      '400 {errors:[{code,description}, …]}',
      response(400, { errors: [{ code: 'bad_request', description: 'renewalProductId is invalid' }, { code: 'bad_request', description: 'second problem' }] }),
      'permanent',
      400,
      undefined,
      'bad_request: renewalProductId is invalid; bad_request: second problem',
    ],
    [
      '400 {errors:[{code,parameter,message}]} (Commerce API style)',
      response(400, { type: 'bad_request', errors: [{ code: 'invalid_parameter', parameter: 'renewalUnitPrice', message: "'-1' is not a valid price." }] }),
      'permanent',
      400,
      undefined,
      "invalid_parameter: '-1' is not a valid price. (renewalUnitPrice)",
    ],
    ['400 no body', response(400), 'permanent', 400, undefined, 'Digital River: bad request (HTTP 400)'],
    [
      '401 bad key',
      response(401, { errors: { error: [{ code: 'invalid_token', description: 'Please verify your API key and secret (if applicable) is correct.' }] } }),
      'auth',
      401,
      undefined,
      'invalid_token: Please verify your API key and secret (if applicable) is correct.',
    ],
    ['401 no body', response(401), 'auth', 401, undefined, 'Digital River: please verify your API key and secret (if applicable) is correct (HTTP 401)'],
    ['403 Access Denied', response(403, { errors: [{ code: 'forbidden', description: 'Access Denied' }] }), 'auth', 403, undefined, 'forbidden: Access Denied'],
    ['403 plain text', response(403, 'Access Denied'), 'auth', 403, undefined, 'Digital River: access denied (HTTP 403)'],
    ['404 Not found', response(404, { errors: { error: [{ code: 'resource-not-found', description: 'Subscription sub_9 not found' }] } }), 'permanent', 404, undefined, 'resource-not-found: Subscription sub_9 not found'],
    ['409 (undocumented)', response(409), 'permanent', 409, undefined, 'Digital River reported a conflict (HTTP 409)'],
    ['429 with Retry-After', response(429, '', { 'retry-after': '1' }), 'retryable', 429, 1, 'Digital River rate limit (HTTP 429)'],
    ['500 (safe to repeat)', response(500), 'retryable', 500, undefined, 'Digital River server error; the call is safe to repeat (HTTP 500)'],
    ['502 (safe to repeat)', response(502), 'retryable', 502, undefined, 'Digital River server error; the call is safe to repeat (HTTP 502)'],
    ['503 with Retry-After', response(503, '', { 'retry-after': '4' }), 'retryable', 503, 4, 'Digital River server error; the call is safe to repeat (HTTP 503)'],
    ['504 with a message', response(504, { message: 'Gateway Timeout' }), 'retryable', 504, undefined, 'Gateway Timeout'],
    ['307 redirect (misconfigured base URL)', response(307), 'auth', 307, undefined, 'unexpected answer from Digital River: check DIGITALRIVER_BASE_URL (HTTP 307)'],
    ['connection refused', { kind: 'not-sent', code: 'ECONNREFUSED', latencyMs: 1 }, 'retryable', undefined, undefined, 'connection failed before the request was sent (ECONNREFUSED)'],
    // Not "ambiguous": the call sets an absolute value, so a repeat is harmless (docs/providers.md).
    ['timeout (safe to repeat)', { kind: 'no-answer', code: 'TIMEOUT', latencyMs: 1 }, 'retryable', undefined, undefined, 'no answer after the request was sent (TIMEOUT); the call is safe to repeat'],
    ['reset (safe to repeat)', { kind: 'no-answer', code: 'ECONNRESET', latencyMs: 1 }, 'retryable', undefined, undefined, 'no answer after the request was sent (ECONNRESET); the call is safe to repeat'],
  ];
  it.each(cases)('%s', (_name, result, cls, httpStatus, retryAfter, message) => {
    const c = digitalriver.classify(result);
    expect(c.class).toBe(cls);
    expect(c.httpStatus).toBe(httpStatus);
    expect(c.retryAfterSeconds).toBe(retryAfter);
    expect(c.message).toBe(message);
  });

  it('sanitizes provider messages', () => {
    const c = digitalriver.classify(response(401, { errors: [{ code: 'unauthorized', description: 'Basic a2V5OnNlY3JldA== rejected for ops@shop.com' }] }));
    expect(c.message).toBe('unauthorized: Basic [redacted] rejected for o***@shop.com');
  });
});

/**
 * Punchh, beyond providers/punchh.test.ts: the whole classification table status by status, the
 * rows the body decides (406, 422) even when Punchh's text is empty, the messages read, ids of
 * every length, and the queued message checked again before a call.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decide } from '../../shared/domain/retry';
import type { QueuedRenewal } from '../../shared/domain/renewal';
import type { CallResult, Classification, ProviderConfig } from '../../shared/providers/types';
import { response } from '../support/responses';
import { normalizePunchh, punchh } from '../support/providers';

const config: ProviderConfig = { baseUrl: 'https://brand.punchh.com', secrets: { PUNCHH_ADMIN_KEY: 'admin-key' }, settings: {} };
const BODY = { subscription_id: 40, start_time: '2026-12-01T00:00:00Z', end_time: '2027-01-01T00:00:00Z', purchase_price: 9.99 };
const PARAMS = { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 };
const queued = (over: Partial<QueuedRenewal> = {}): QueuedRenewal => ({
  v: 1,
  id: 'rnw_x',
  idempotencyKey: 'k',
  provider: 'punchh',
  operation: 'renew',
  subscription: '40',
  params: PARAMS,
  ...over,
});
const normalize = (body: unknown) => normalizePunchh({ body, query: {}, path: {}, headers: {} });

/** docs/architecture.md#response-classification-and-retries, Punchh's column (empty bodies). */
const expectedClass = (status: number): Classification['class'] => {
  if (status >= 200 && status <= 299) return 'success';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || status === 503) return 'retryable';
  if (status >= 500 && status <= 599) return 'ambiguous';
  if (status >= 400 && status <= 499) return 'permanent';
  return 'auth'; // 1xx, 3xx, and anything outside HTTP's range: check PUNCHH_BASE_URL
};

describe('Punchh classification table, every status', () => {
  it('classes each status from 100 to 599 as documented', () => {
    const wrong: string[] = [];
    for (let status = 100; status <= 599; status++) {
      const got = punchh.classify(response(status)).class;
      if (got !== expectedClass(status)) wrong.push(`${status}: ${got}, expected ${expectedClass(status)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('says what each status means when the body says nothing', () => {
    const notes: Array<[number, string]> = [
      [401, 'Punchh refused the business admin key'],
      [403, 'Punchh refused the business admin key'],
      [406, 'Punchh cannot renew this subscription'],
      [422, 'Punchh rejected a field of the request'],
      [400, 'Punchh rejected the request'],
      [404, 'Punchh does not know the subscription'],
      [409, 'Punchh reported a conflict'],
      [410, 'Punchh rejected the request'],
      [499, 'Punchh rejected the request'],
      [429, 'Punchh rate limit'],
      [503, 'Punchh is unavailable'],
      [599, 'Punchh server error: the renewal may or may not have been applied'],
      [100, 'unexpected answer from Punchh: check PUNCHH_BASE_URL'],
      [399, 'unexpected answer from Punchh: check PUNCHH_BASE_URL'],
    ];
    for (const [status, note] of notes) expect(punchh.classify(response(status)).message, String(status)).toBe(`${note} (HTTP ${status})`);
    expect(punchh.classify(response(204))).toStrictEqual({ class: 'success', httpStatus: 204, message: 'Punchh renewed the subscription' });
    expect(punchh.classify(response(299)).message).toBe('Punchh renewed the subscription');
  });

  it('an answer outside HTTP’s range needs a person', () => {
    expect(punchh.classify(response(600))).toStrictEqual({ class: 'auth', httpStatus: 600, message: 'unexpected answer from Punchh (HTTP 600)' });
  });

  it('keeps Retry-After only for 429 and 503, and only when given', () => {
    expect(punchh.classify(response(429))).not.toHaveProperty('retryAfterSeconds');
    for (const status of [401, 406, 500, 502]) expect(punchh.classify(response(status, '', { 'retry-after': '60' })), String(status)).not.toHaveProperty('retryAfterSeconds');
  });
});

describe('where the body decides', () => {
  it('406 with Punchh’s invalid-subscription keys means an invalid subscription, even with no text', () => {
    for (const body of [{ invalid_subscription: '' }, { invalid: '' }, { invalid_subscription: '', invalid: '' }]) {
      expect(punchh.classify(response(406, body)), JSON.stringify(body)).toStrictEqual({ class: 'permanent', httpStatus: 406, message: 'Punchh: invalid user subscription (HTTP 406)' });
    }
  });

  it('422 names the refused plan (errors.base) and the disabled feature even when their texts are empty', () => {
    expect(punchh.classify(response(422, { errors: { base: [] } }))).toStrictEqual({ class: 'permanent', httpStatus: 422, message: 'Punchh refused the plan (HTTP 422)' });
    expect(punchh.classify(response(422, { errors: { disabled_feature: '' } }))).toStrictEqual({
      class: 'auth',
      httpStatus: 422,
      message: 'the feature is disabled for this brand at Punchh (HTTP 422)',
    });
  });

  it('a disabled feature is never retried, even by a call that would be safe to repeat', () => {
    const c = punchh.classify(response(422, { errors: { disabled_feature: 'off' } }));
    expect(decide(c, 1, true, DEFAULT_RETRY_POLICY).status).toBe('needs_attention');
  });
});

describe('what Punchh said', () => {
  it('joins several texts of one field, skipping empty and non-text entries and fields with nothing to say', () => {
    expect(punchh.classify(response(422, { errors: { start_time: ["can't be blank", '', 5, 'is invalid'], end_time: [], price: [null] } })).message).toBe(
      "start_time: can't be blank is invalid",
    );
    expect(punchh.classify(response(422, { errors: { base: ['Plan is not active.', 'Plan has expired.'] } })).message).toBe('Plan is not active. Plan has expired.');
    expect(punchh.classify(response(401, { error: 'Sign in.', message: 'Again.' })).message).toBe('Sign in.; Again.');
  });

  it('a 200 says which term was renewed only when it names the subscription and both times', () => {
    const full = { subscription_id: 40, start_time: '2026-12-01T00:00:00Z', end_time: '2027-01-01T00:00:00Z' };
    expect(punchh.classify(response(200, full)).message).toBe('Punchh renewed subscription 40 from 2026-12-01T00:00:00Z to 2027-01-01T00:00:00Z');
    for (const missing of ['subscription_id', 'start_time', 'end_time'] as const) {
      const { [missing]: _gone, ...partial } = full;
      expect(punchh.classify(response(200, partial)).message, missing).toBe('Punchh renewed the subscription');
    }
    // A 200 never quotes Punchh's other texts.
    expect(punchh.classify(response(200, { message: 'Hello ops@brand.com' })).message).toBe('Punchh renewed the subscription');
  });
});

describe('Punchh calls are not safe to repeat', () => {
  it('is declared so, and a timeout or a 5xx ends needing a person', () => {
    expect(punchh.idempotentCall).toBe(false);
    for (const result of [{ kind: 'no-answer', code: 'TIMEOUT', latencyMs: 10_000 }, response(500)] as CallResult[]) {
      expect(decide(punchh.classify(result), 1, punchh.idempotentCall, DEFAULT_RETRY_POLICY).status).toBe('needs_attention');
    }
  });
});

describe('Punchh subscription ids of every length', () => {
  it.each(['4', '40', '400', '4000', '1234567', '123456789012345', '9007199254740991'])('sends %s as the same integer', (subscription) => {
    const sent = JSON.parse(punchh.buildRequest(queued({ subscription }), config).body ?? '{}') as Record<string, unknown>;
    expect(sent.subscription_id).toBe(Number(subscription));
    expect(String(sent.subscription_id)).toBe(subscription);
  });

  it('takes ids of every length from the drop-in route', () => {
    for (const id of [4, 400, 4000, 1234567, 9007199254740991]) {
      const r = normalize({ ...BODY, subscription_id: id });
      expect(r.ok && r.value.subscription, String(id)).toBe(String(id));
    }
  });

  it('refuses an id that is not a plain positive integer rather than send something else', () => {
    for (const subscription of ['040', '40x', 'x40', '4 0', '40 ', ' 40', '40\n', '0', '-40', '9007199254740992']) {
      expect(() => punchh.buildRequest(queued({ subscription }), config), subscription).toThrow('renewal rnw_x: Punchh subscription_id must be a positive safe integer');
    }
  });
});

describe('Punchh requests from queued messages', () => {
  it('sends new_plan_id only when switching plan', () => {
    expect(JSON.parse(punchh.buildRequest(queued({ params: { ...PARAMS, newPlanId: 7 } }), config).body ?? '{}')).toMatchObject({ new_plan_id: 7 });
    expect(Object.keys(JSON.parse(punchh.buildRequest(queued(), config).body ?? '{}') as object)).not.toContain('new_plan_id');
  });

  it('drops every trailing slash of the base URL and sends an empty key, never "undefined", when none is configured', () => {
    const req = punchh.buildRequest(queued(), { baseUrl: 'https://brand.punchh.com//', secrets: {}, settings: {} });
    expect(req.url).toBe('https://brand.punchh.com/api2/dashboard/subscriptions/renew');
    expect(req.headers.authorization).toBe('Bearer ');
  });

  it('refuses a message for another operation, naming every bad param', () => {
    expect(() => punchh.buildRequest(queued({ operation: 'renewal-type' }), config)).toThrow('renewal rnw_x is punchh/renewal-type, not punchh/renew');
    expect(() => punchh.buildRequest(queued({ params: { startTime: 'x' } }), config)).toThrow(
      'renewal rnw_x has invalid Punchh params: params.startTime, params.endTime, params.purchasePrice',
    );
  });

  it('has no period for a term given as something other than text', () => {
    expect(punchh.periodOf?.(queued({ params: { ...PARAMS, startTime: 1_764_547_200_000 } }))).toBeUndefined();
  });
});

describe('the Punchh drop-in route: its words', () => {
  const errorsOf = (body: unknown) => {
    const r = normalize(body);
    return r.ok ? [] : r.errors;
  };

  it('calls a missing field required, and a bad one by what is wrong', () => {
    expect(errorsOf({ ...BODY, start_time: undefined })).toEqual([{ path: 'start_time', message: 'is required' }]);
    expect(errorsOf({ ...BODY, subscription_id: undefined })).toEqual([{ path: 'subscription_id', message: 'is required' }]);
    expect(errorsOf({ ...BODY, subscription_id: 0 })).toEqual([{ path: 'subscription_id', message: 'must be a positive integer' }]);
    expect(errorsOf({ ...BODY, new_plan_id: 0 })).toEqual([{ path: 'new_plan_id', message: 'must be a positive integer' }]);
    expect(errorsOf({ ...BODY, purchase_price: -0.01 })).toEqual([{ path: 'purchase_price', message: 'must not be negative' }]);
    const wrongType = errorsOf({ ...BODY, subscription_id: 'forty' });
    expect(wrongType.map((e) => e.path)).toEqual(['subscription_id']);
    expect(wrongType[0]?.message).not.toBe('is required');
  });

  it('leaves new_plan_id out of the canonical request when it was not given', () => {
    expect(normalize(BODY)).toStrictEqual({
      ok: true,
      value: { provider: 'punchh', operation: 'renew', subscription: '40', params: { startTime: BODY.start_time, endTime: BODY.end_time, purchasePrice: 9.99 } },
    });
  });
});

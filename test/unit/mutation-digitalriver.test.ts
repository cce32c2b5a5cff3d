/**
 * Digital River, beyond providers/digitalriver.test.ts: the whole classification table status by
 * status, the only call that is safe to repeat (so timeouts and 5xx are retried, credentials
 * never), the error shapes read, and the queued message checked again before a call.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decide } from '../../shared/domain/retry';
import type { QueuedRenewal } from '../../shared/domain/renewal';
import type { CallResult, Classification, ProviderConfig } from '../../shared/providers/types';
import { response } from '../support/responses';
import { digitalriver, normalizeDigitalRiver } from '../support/providers';
import { validateDigitalRiverSettings } from '../../shared/providers/digitalriver/call';

const config: ProviderConfig = { baseUrl: 'https://api.digitalriver.com', secrets: { DIGITALRIVER_API_KEY: 'k', DIGITALRIVER_API_SECRET: 's' }, settings: {} };
const queued = (over: Partial<QueuedRenewal> = {}): QueuedRenewal => ({
  v: 1,
  id: 'rnw_x',
  idempotencyKey: 'k',
  provider: 'digitalriver',
  operation: 'renewal-quantity',
  subscription: 'sub-1',
  params: { renewalQuantity: 2 },
  ...over,
});

/** docs/architecture.md#response-classification-and-retries, Digital River's column. */
const expectedClass = (status: number): Classification['class'] => {
  if (status >= 200 && status <= 299) return 'accepted';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || (status >= 500 && status <= 599)) return 'retryable';
  if (status >= 400 && status <= 499) return 'permanent';
  return 'auth'; // 1xx, 3xx, and anything outside HTTP's range: check DIGITALRIVER_BASE_URL
};

describe('Digital River classification table, every status', () => {
  it('classes each status from 100 to 599 as documented', () => {
    const wrong: string[] = [];
    for (let status = 100; status <= 599; status++) {
      const got = digitalriver.classify(response(status)).class;
      if (got !== expectedClass(status)) wrong.push(`${status}: ${got}, expected ${expectedClass(status)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('says what each status means when the body says nothing', () => {
    const notes: Array<[number, string]> = [
      [299, 'Digital River accepted the change; it applies it later'],
      [404, 'Digital River: not found'],
      [403, 'Digital River: access denied'],
      [422, 'Digital River rejected the request'],
      [405, 'Digital River rejected the request'],
      [499, 'Digital River rejected the request'],
      [599, 'Digital River server error; the call is safe to repeat'],
      [100, 'unexpected answer from Digital River: check DIGITALRIVER_BASE_URL'],
      [399, 'unexpected answer from Digital River: check DIGITALRIVER_BASE_URL'],
    ];
    for (const [status, note] of notes) expect(digitalriver.classify(response(status)).message, String(status)).toBe(`${note} (HTTP ${status})`);
  });

  it('an answer outside HTTP’s range needs a person', () => {
    expect(digitalriver.classify(response(600))).toStrictEqual({ class: 'auth', httpStatus: 600, message: 'unexpected answer from Digital River (HTTP 600)' });
  });

  it('never quotes a 2xx body', () => {
    expect(digitalriver.classify(response(202, { message: 'queued for ops@shop.com' }))).toStrictEqual({
      class: 'accepted',
      httpStatus: 202,
      message: 'Digital River accepted the change; it applies it later (HTTP 202)',
    });
  });

  it('keeps Retry-After only for retried answers, and only when given', () => {
    expect(digitalriver.classify(response(500, '', { 'retry-after': '3' }))).toHaveProperty('retryAfterSeconds', 3);
    expect(digitalriver.classify(response(500))).not.toHaveProperty('retryAfterSeconds');
    for (const status of [400, 401, 404, 202]) expect(digitalriver.classify(response(status, '', { 'retry-after': '3' })), String(status)).not.toHaveProperty('retryAfterSeconds');
  });
});

describe('Digital River calls are safe to repeat', () => {
  it('is declared so: a timeout, a reset or any 5xx is retried rather than left for a person', () => {
    expect(digitalriver.idempotentCall).toBe(true);
    for (const result of [{ kind: 'no-answer', code: 'TIMEOUT', latencyMs: 10_000 }, response(500), response(504)] as CallResult[]) {
      expect(decide(digitalriver.classify(result), 1, digitalriver.idempotentCall, DEFAULT_RETRY_POLICY).status).toBe('retry_scheduled');
    }
  });

  it('but refused credentials are never retried', () => {
    for (const status of [401, 403]) expect(decide(digitalriver.classify(response(status)), 1, digitalriver.idempotentCall, DEFAULT_RETRY_POLICY).status).toBe('needs_attention');
  });
});

describe('what Digital River said', () => {
  const message = (body: unknown) => digitalriver.classify(response(400, body)).message;

  it('code, description and parameter, whichever are given', () => {
    expect(message({ errors: [{ description: 'Quantity must be positive' }] })).toBe('Quantity must be positive');
    expect(message({ errors: [{ code: 'invalid_parameter', parameter: 'renewalQuantity' }] })).toBe('invalid_parameter (renewalQuantity)');
    expect(message({ errors: [{ code: 'invalid_parameter' }] })).toBe('invalid_parameter');
    expect(message({ errors: [{ subCode: 'state' }] })).toBe('state');
    expect(message({ errors: [{ code: 400, subCode: 7, message: 'numeric codes' }] })).toBe('400/7: numeric codes');
    // A part of another type is left out, never printed as "[object Object]".
    expect(message({ errors: [{ code: 'c', description: { text: 'x' }, parameter: ['p'] }] })).toBe('c');
  });

  it('an error with nothing to say is skipped; then the top-level message is used', () => {
    expect(message({ errors: [{ parameter: 'renewalQuantity' }], message: 'Bad request' })).toBe('Bad request');
    expect(message({ errors: [{ foo: 1 }], description: 'See the docs' })).toBe('See the docs');
    expect(message({ errors: ['text', 5, { code: 'c', description: 'd' }] })).toBe('c: d');
  });

  it('prefers the listed errors over the top-level message', () => {
    expect(message({ errors: [{ code: 'c', description: 'd' }], message: 'm', description: 'x' })).toBe('c: d');
    expect(message({ errors: { error: { code: 'c', description: 'd' } }, message: 'm' })).toBe('c: d');
    expect(message({ message: 'm', description: 'x' })).toBe('m; x');
  });
});

describe('Digital River requests from queued messages', () => {
  it('drops every trailing slash of the base URL and sends an empty key and secret, never "undefined", when none is configured', () => {
    const req = digitalriver.buildRequest(queued(), { baseUrl: 'https://api.digitalriver.com//', secrets: {}, settings: {} });
    expect(req.url).toBe('https://api.digitalriver.com/v1/subscriptions/sub-1/renewal-quantity');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(':').toString('base64')}`);
  });

  it('encodes a non-ASCII key and secret as UTF-8', () => {
    const req = digitalriver.buildRequest(queued(), { ...config, secrets: { DIGITALRIVER_API_KEY: 'clé', DIGITALRIVER_API_SECRET: 'sécret' } });
    expect(Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8')).toBe('clé:sécret');
  });

  it('refuses a message of another provider, naming every bad param', () => {
    expect(() => digitalriver.buildRequest(queued({ provider: 'pelcro' }), config)).toThrow('renewal rnw_x is pelcro/renewal-quantity, not a Digital River renewal setting');
    expect(() => digitalriver.buildRequest(queued({ params: { renewalQuantity: 0, extra: 1 } }), config)).toThrow(
      'renewal rnw_x has invalid Digital River params: params.renewalQuantity, params.extra',
    );
  });

  it('refuses a bad auth header setting at cold start', () => {
    expect(() => validateDigitalRiverSettings({ DIGITALRIVER_AUTH_HEADER: 'x-api-key' })).toThrow(/DIGITALRIVER_AUTH_HEADER/);
    expect(validateDigitalRiverSettings({ DIGITALRIVER_AUTH_HEADER: 'token' })).toBe('token');
  });
});

describe('the Digital River drop-in routes: their words', () => {
  it('names a bad subId and a wrong type by what is wrong, a missing field as required', () => {
    const r = normalizeDigitalRiver('renewal-type')({ body: { autoRenewal: 'yes' }, query: {}, path: { subId: 'a/b' }, headers: {} });
    expect(r.ok ? [] : r.errors).toEqual([
      { path: 'path.subId', message: 'must be a Digital River subscription id (1–100 letters, digits, ".", "_" or "-")' },
      { path: 'autoRenewal', message: expect.not.stringMatching(/^is required$/) as string },
    ]);
    const missing = normalizeDigitalRiver('renewal-type')({ body: {}, query: {}, path: { subId: 's' }, headers: {} });
    expect(missing.ok ? [] : missing.errors).toEqual([{ path: 'autoRenewal', message: 'is required' }]);
  });
});

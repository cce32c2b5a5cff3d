/**
 * PressOne, beyond pressone.test.ts: its whole classification table, status by status (the 3xx
 * of a redirecting base URL and every unlisted 4xx included), its call not being safe to repeat,
 * and List User's answers at their edges.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decide } from '../../shared/domain/retry';
import type { QueuedRenewal } from '../../shared/domain/renewal';
import type { CallResult, Classification } from '../../shared/providers/types';
import { response } from '../support/responses';
import { normalizePressone, pressone } from '../support/providers';

const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', params: {} };

/** docs/architecture.md#response-classification-and-retries, PressOne's column. */
const expectedClass = (status: number): Classification['class'] => {
  if (status >= 200 && status <= 299) return 'success';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || status === 503) return 'retryable';
  if (status >= 500) return 'ambiguous';
  // 400, 404, 409, 422, every other 4xx, and 1xx/3xx (redirects are not followed).
  return 'permanent';
};

describe('PressOne classification table, every status from 100 to 599', () => {
  it('classes each status as documented, with an empty body', () => {
    const wrong: string[] = [];
    for (let status = 100; status <= 599; status++) {
      const got = pressone.classify(response(status)).class;
      if (got !== expectedClass(status)) wrong.push(`${status}: ${got}, expected ${expectedClass(status)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('never classes a redirect as a renewal: a redirecting base URL is refused, naming the status', () => {
    for (const status of [300, 301, 302, 303, 307, 308]) {
      expect(pressone.classify(response(status, '', { location: 'https://elsewhere.example/' }))).toStrictEqual({
        class: 'permanent',
        httpStatus: status,
        message: `HTTP ${status}`,
      });
    }
    // Even with a body that would mean success on a 2xx.
    expect(pressone.classify(response(302, { success: true, message: 'Number renewed' })).class).toBe('permanent');
  });

  it('refuses every 4xx it does not list, naming the status when the body says nothing', () => {
    for (const status of [402, 405, 408, 410, 413, 418, 451, 499]) {
      expect(pressone.classify(response(status))).toStrictEqual({ class: 'permanent', httpStatus: status, message: `HTTP ${status}` });
    }
    expect(pressone.classify(response(409, { message: 'Renewal already in progress' }))).toStrictEqual({
      class: 'permanent',
      httpStatus: 409,
      message: 'Renewal already in progress',
    });
  });

  it('a 2xx is a renewal unless its body says success: false', () => {
    expect(pressone.classify(response(201))).toStrictEqual({ class: 'success', httpStatus: 201, message: 'renewed' });
    expect(pressone.classify(response(204))).toStrictEqual({ class: 'success', httpStatus: 204, message: 'renewed' });
    expect(pressone.classify(response(200, { success: true, message: 'Number renewed' }))).toStrictEqual({ class: 'success', httpStatus: 200, message: 'Number renewed' });
    expect(pressone.classify(response(200, { success: false }))).toStrictEqual({ class: 'permanent', httpStatus: 200, message: 'PressOne answered success: false' });
    expect(pressone.classify(response(299, { success: false, message: 'No active number' }))).toStrictEqual({
      class: 'permanent',
      httpStatus: 299,
      message: 'No active number',
    });
  });

  it('keeps Retry-After only where it is honoured (429, 503), and only when given', () => {
    expect(pressone.classify(response(429, '', { 'retry-after': '7' }))).toStrictEqual({ class: 'retryable', httpStatus: 429, message: 'HTTP 429', retryAfterSeconds: 7 });
    expect(pressone.classify(response(429))).toStrictEqual({ class: 'retryable', httpStatus: 429, message: 'HTTP 429' });
    expect(pressone.classify(response(503, { message: 'Maintenance' }))).toStrictEqual({ class: 'retryable', httpStatus: 503, message: 'Maintenance' });
    for (const status of [500, 502, 404, 401]) {
      expect(pressone.classify(response(status, '', { 'retry-after': '7' })), String(status)).not.toHaveProperty('retryAfterSeconds');
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const inThirty = new Date(Date.now() + 30_000).toUTCString();
    const got = pressone.classify(response(503, '', { 'retry-after': inThirty })).retryAfterSeconds;
    expect(got).toBeGreaterThanOrEqual(28);
    expect(got).toBeLessThanOrEqual(31);
    expect(pressone.classify(response(503, '', { 'retry-after': new Date(Date.now() - 60_000).toUTCString() })).retryAfterSeconds).toBe(0);
    expect(pressone.classify(response(503, '', { 'retry-after': ' 12 ' })).retryAfterSeconds).toBe(12);
    for (const bad of ['soon', '12s', 'x12', '12 x', '']) {
      expect(pressone.classify(response(503, '', { 'retry-after': bad })), bad).not.toHaveProperty('retryAfterSeconds');
    }
  });
});

describe('PressOne renew-number is not safe to repeat', () => {
  it('is declared so', () => {
    expect(pressone.idempotentCall).toBe(false);
  });

  it('so a timeout or a 5xx without confirmation ends needing a person, never a blind second call', () => {
    for (const result of [
      { kind: 'no-answer', code: 'TIMEOUT', latencyMs: 10_000 },
      { kind: 'no-answer', code: 'ECONNRESET', latencyMs: 5 },
      response(500),
      response(502),
      response(504),
    ] as CallResult[]) {
      const c = pressone.classify(result);
      expect(decide(c, 1, pressone.idempotentCall, DEFAULT_RETRY_POLICY).status).toBe('needs_attention');
    }
  });

  it('while a refused connection (nothing sent) and a 429/503 are retried', () => {
    for (const result of [{ kind: 'not-sent', code: 'ECONNREFUSED', latencyMs: 1 }, response(429), response(503)] as CallResult[]) {
      expect(decide(pressone.classify(result), 1, pressone.idempotentCall, DEFAULT_RETRY_POLICY).status).toBe('retry_scheduled');
    }
  });

  it('refused credentials are never retried, whatever the call', () => {
    for (const idempotentCall of [false, true]) {
      expect(decide(pressone.classify(response(401)), 1, idempotentCall, DEFAULT_RETRY_POLICY).status).toBe('needs_attention');
    }
  });
});

describe('PressOne requests', () => {
  it('drops every trailing slash of the base URL', () => {
    const config = { baseUrl: 'https://api.pressone.co///', secrets: { PRESSONE_API_KEY: 'k' }, settings: {} };
    expect(pressone.buildRequest(renewal, config).url).toBe('https://api.pressone.co/api/third-party/partner/renew-number/');
    expect(pressone.confirmation?.buildRequest(renewal, config).url).toBe('https://api.pressone.co/api/third-party/partner/user/?email=jane%40example.com');
  });

  it('without a configured key sends an empty credential, never the word "undefined"', () => {
    const req = pressone.buildRequest(renewal, { baseUrl: 'https://api.pressone.co', secrets: {}, settings: {} });
    expect(req.headers).toMatchObject({ authorization: 'Bearer ', 'pressone-x-api-key': '' });
  });

  it('the drop-in route names email in its own words', () => {
    expect(normalizePressone({ body: { email: 'nope' }, query: {}, path: {}, headers: {} })).toEqual({
      ok: false,
      errors: [{ path: 'email', message: 'must be the email the number was claimed with' }],
    });
  });
});

describe('PressOne List User at its edges', () => {
  const since = new Date('2026-11-21T12:00:00Z');
  const list = (sub: unknown, status = 200) => response(status, { message: 'ok', success: true, data: [{ email: 'jane@example.com', subscription: sub }] });
  const interpret = (result: CallResult) => pressone.confirmation!.interpret(result, renewal, since);

  it('a renewal exactly at the clock-skew allowance counts; one a second earlier does not', () => {
    expect(interpret(list({ last_renewed_at: '2026-11-21T11:55:00.000Z' }))).toBe('renewed');
    expect(interpret(list({ last_renewed_at: '2026-11-21T11:54:59.000Z' }))).toBe('not-renewed');
  });

  it('believes only a 200: any other status is unknown, whatever its body says', () => {
    for (const status of [201, 203, 404, 500, 503]) expect(interpret(list({ last_renewed_at: '2026-11-21T12:00:01Z' }, status)), String(status)).toBe('unknown');
  });

  it('an answer of another shape, or a subscription without last_renewed_at, is unknown', () => {
    expect(interpret(response(200, { data: 'jane' }))).toBe('unknown');
    expect(interpret(response(200, { users: [] }))).toBe('unknown');
    expect(interpret(response(200, 'not json'))).toBe('unknown');
    expect(interpret(list({}))).toBe('unknown');
    expect(interpret(list(null))).toBe('unknown');
  });
});

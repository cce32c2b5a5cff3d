import { describe, expect, it } from 'vitest';
import { call as pressone } from './call';
import type { CallResult } from '../types';
import type { QueuedRenewal } from '../../domain/renewal';
import { response } from '../../../test/support/responses';

const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', params: {} };

describe('PressOne request', () => {
  it('posts {email} to the renew-number path with its trailing slash and both auth headers', () => {
    const req = pressone.buildRequest(renewal, { baseUrl: 'https://api.pressone.co/', secrets: { PRESSONE_API_KEY: 'key-123' }, settings: {} });
    expect(req).toEqual({
      method: 'POST',
      url: 'https://api.pressone.co/api/third-party/partner/renew-number/',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: 'Bearer key-123',
        'pressone-x-api-key': 'key-123',
      },
      body: '{"email":"jane@example.com"}',
    });
  });

  it('keeps a path prefix in the base URL', () => {
    expect(pressone.buildRequest(renewal, { baseUrl: 'http://127.0.0.1:9000/sandbox', secrets: { PRESSONE_API_KEY: 'k' }, settings: {} }).url).toBe(
      'http://127.0.0.1:9000/sandbox/api/third-party/partner/renew-number/',
    );
  });
});

describe('PressOne classification, response by response', () => {
  const cases: Array<[string, CallResult, string, number | undefined]> = [
    ['200 success', response(200, { message: 'Number renewed', success: true, data: null }), 'success', undefined],
    ['200 success:false', response(200, { message: 'No active number', success: false, data: null }), 'permanent', undefined],
    ['400', response(400, { message: 'bad' }), 'permanent', undefined],
    ['404', response(404, { message: 'User not found' }), 'permanent', undefined],
    ['422', response(422, { message: 'email invalid' }), 'permanent', undefined],
    ['401', response(401, { message: 'Unauthorized' }), 'auth', undefined],
    ['403', response(403, 'Forbidden'), 'auth', undefined],
    ['429 with Retry-After', response(429, '', { 'retry-after': '7' }), 'retryable', 7],
    ['503 with Retry-After', response(503, 'down', { 'retry-after': '1' }), 'retryable', 1],
    ['500', response(500, 'oops'), 'ambiguous', undefined],
    ['502', response(502, 'bad gateway'), 'ambiguous', undefined],
    ['504', response(504, 'timeout'), 'ambiguous', undefined],
    ['refused', { kind: 'not-sent', code: 'ECONNREFUSED', latencyMs: 1 }, 'retryable', undefined],
    ['reset', { kind: 'no-answer', code: 'ECONNRESET', latencyMs: 1 }, 'ambiguous', undefined],
    ['timeout', { kind: 'no-answer', code: 'TIMEOUT', latencyMs: 1 }, 'ambiguous', undefined],
  ];
  it.each(cases)('%s', (_name, result, cls, retryAfter) => {
    const c = pressone.classify(result);
    expect(c.class).toBe(cls);
    expect(c.retryAfterSeconds).toBe(retryAfter);
  });

  it('masks emails in provider messages', () => {
    expect(pressone.classify(response(404, { message: 'No user jane.doe@example.com' })).message).toBe('No user j***@example.com');
  });
});

describe('PressOne List User confirmation', () => {
  const since = new Date('2026-11-21T12:00:00Z');
  const list = (sub: unknown, email = 'jane@example.com') => response(200, { message: 'ok', success: true, data: [{ email, subscription: sub }] });
  const interpret = pressone.confirmation!.interpret;

  it('asks List User for the renewal’s email with both auth headers', () => {
    const req = pressone.confirmation!.buildRequest({ ...renewal, subscription: 'j+1@example.com' }, { baseUrl: 'https://api.pressone.co', secrets: { PRESSONE_API_KEY: 'k' }, settings: {} });
    expect(req).toMatchObject({ method: 'GET', url: 'https://api.pressone.co/api/third-party/partner/user/?email=j%2B1%40example.com' });
    expect(req.headers).toMatchObject({ authorization: 'Bearer k', 'pressone-x-api-key': 'k' });
  });

  it.each<[string, CallResult, string]>([
    ['renewed after the attempt started', list({ last_renewed_at: '2026-11-21T12:00:01Z' }), 'renewed'],
    ['renewed within the clock-skew allowance', list({ last_renewed_at: '2026-11-21T11:58:00Z' }), 'renewed'],
    ['last renewed long before', list({ last_renewed_at: '2026-10-21T12:00:00Z' }), 'not-renewed'],
    ['never renewed', list({ last_renewed_at: null }), 'not-renewed'],
    ['email matched case-insensitively', list({ last_renewed_at: '2026-11-21T12:00:01Z' }, 'Jane@Example.com'), 'renewed'],
    ['no such user', list({ last_renewed_at: null }, 'other@example.com'), 'unknown'],
    ['no subscription field', list(undefined), 'unknown'],
    ['unreadable time', list({ last_renewed_at: 'soon' }), 'unknown'],
    ['an error status', response(500, 'oops'), 'unknown'],
    ['no answer', { kind: 'no-answer', code: 'TIMEOUT', latencyMs: 1 }, 'unknown'],
  ])('%s → %s', (_name, result, expected) => {
    expect(interpret(result, renewal, since)).toBe(expected);
  });
});

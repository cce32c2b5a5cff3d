/**
 * The renewal record, its queue message and its resource, and the two derivations idempotency
 * rests on: the renewal id and the request fingerprint. Both are pinned to literal values: a
 * refactor that changes either would, across a deploy, turn a repeat of an accepted request into
 * a second renewal (a new id) or a 409 (a new hash).
 */
import { describe, expect, it } from 'vitest';
import {
  STATUSES,
  isTerminal,
  newRenewalRecord,
  queuedMessageFor,
  renewalIdFor,
  requestHash,
  stableStringify,
  toResource,
  type Attempt,
  type RenewalRecord,
} from '../../shared/domain/renewal';
import { queuedRenewalSchema } from '../../shared/domain/queued-renewal';
import type { CanonicalRequest } from '../../shared/domain/canonical';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';
const now = new Date('2026-11-21T12:00:00.000Z');

describe('renewal ids are fixed for a given idempotency key', () => {
  it('pins the id of a known key (base32 of sha256("idempotency-key:" + key), 26 characters)', () => {
    expect(renewalIdFor('some-key')).toBe('rnw_wsgermsjzl6cc5hia6jtsnuowc');
    expect(renewalIdFor('msg_2Lr4t0VGRq5a1tCn3QfFq3wXHYy')).toBe('rnw_yuw4horvhl4hfcqjgltlfb2bdy');
    expect(renewalIdFor('')).toBe('rnw_n247c34iedr7yqzuxprjnrlm64');
  });

  it('pins the fingerprint of a known request (sha256 of its sorted JSON, secrets left out)', () => {
    const request: CanonicalRequest = { provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', params: {} };
    expect(requestHash(request)).toBe('f718ecae19bd8cc45fdbd200843fe268b16453c117eb3a92422beebe94653bf3');
    expect(stableStringify(request)).toBe('{"operation":"renew","params":{},"provider":"pressone","subscription":"jane@example.com"}');
  });
});

describe('stableStringify: equal requests, equal text', () => {
  it('sorts keys at every depth, whatever order they were written in', () => {
    const expected = '{"a":1,"b":2,"c":3,"d":4,"e":5}';
    expect(stableStringify({ e: 5, d: 4, c: 3, b: 2, a: 1 })).toBe(expected);
    expect(stableStringify({ c: 3, a: 1, e: 5, b: 2, d: 4 })).toBe(expected);
    expect(stableStringify({ b: 2, d: 4, a: 1, c: 3, e: 5 })).toBe(expected);
    expect(stableStringify({ z: { y: 1, x: [{ b: 1, a: 2 }] } })).toBe('{"z":{"x":[{"a":2,"b":1}],"y":1}}');
  });

  it('keeps array order and separates items', () => {
    expect(stableStringify([3, 1, 2])).toBe('[3,1,2]');
    expect(stableStringify(['a', { b: 1, a: 0 }])).toBe('["a",{"a":0,"b":1}]');
  });

  it('drops undefined fields, as JSON would, so an absent and an undefined field hash equally', () => {
    expect(stableStringify({ a: 1, b: undefined })).toBe('{"a":1}');
    expect(stableStringify({ a: 1, b: undefined })).toBe(stableStringify({ a: 1 }));
    expect(stableStringify({ a: null })).toBe('{"a":null}');
  });

  it('escapes keys as JSON does', () => {
    expect(stableStringify({ 'a"': 1, 'a:': 2 })).toBe('{"a\\"":1,"a:":2}');
  });
});

describe('statuses', () => {
  it('terminal: succeeded, accepted, failed, needs_attention, cancelled; the others are not', () => {
    const terminal = STATUSES.filter((s) => isTerminal(s));
    expect(terminal).toEqual(['succeeded', 'accepted', 'failed', 'needs_attention', 'cancelled']);
  });
});

describe('the record and the message for one request', () => {
  const request: CanonicalRequest = {
    provider: 'pelcro',
    operation: 'renew',
    subscription: '555',
    params: { api: 'sdk', siteId: 7, planId: 12, customerToken: JWT },
    notBefore: '2026-12-01T00:00:00Z',
  };

  it('the record is queued, keyed by the idempotency key, without the customer token, keeping notBefore', () => {
    expect(newRenewalRecord(request, 'some-key', now)).toEqual({
      id: 'rnw_wsgermsjzl6cc5hia6jtsnuowc',
      idempotencyKey: 'some-key',
      requestHash: requestHash(request),
      provider: 'pelcro',
      operation: 'renew',
      subscription: '555',
      params: { api: 'sdk', siteId: 7, planId: 12 },
      notBefore: '2026-12-01T00:00:00Z',
      status: 'queued',
      attempts: [],
      createdAt: '2026-11-21T12:00:00.000Z',
      updatedAt: '2026-11-21T12:00:00.000Z',
    });
  });

  it('a record without notBefore has no notBefore key', () => {
    const { notBefore: _dropped, ...rest } = request;
    const record = newRenewalRecord(rest, 'k', now);
    expect('notBefore' in record).toBe(false);
    expect('notBefore' in queuedMessageFor(record, rest)).toBe(false);
  });

  it('the message carries everything the consumer needs, the customer token and notBefore included', () => {
    const record = newRenewalRecord(request, 'some-key', now);
    const message = queuedMessageFor(record, request);
    expect(message).toEqual({
      v: 1,
      id: 'rnw_wsgermsjzl6cc5hia6jtsnuowc',
      idempotencyKey: 'some-key',
      provider: 'pelcro',
      operation: 'renew',
      subscription: '555',
      params: { api: 'sdk', siteId: 7, planId: 12, customerToken: JWT },
      notBefore: '2026-12-01T00:00:00Z',
      // Each message is a new copy of the renewal (docs/architecture.md#one-copy-per-renewal).
      copyId: expect.stringMatching(/^[0-9a-z]{20,24}$/),
    });
    expect(queuedMessageFor(record, request).copyId).not.toBe(message.copyId);
    // A copy: changing the message's params later cannot change the request's.
    expect(message.params).not.toBe(request.params);
    expect(queuedRenewalSchema.parse(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it('the queue message schema refuses a message off the contract', () => {
    const message = queuedMessageFor(newRenewalRecord(request, 'some-key', now), request);
    expect(queuedRenewalSchema.safeParse(message).success).toBe(true);
    expect(queuedRenewalSchema.safeParse({ ...message, v: 2 }).success).toBe(false);
    expect(queuedRenewalSchema.safeParse({ ...message, id: '' }).success).toBe(false);
    expect(queuedRenewalSchema.safeParse({ ...message, idempotencyKey: '' }).success).toBe(false);
    expect(queuedRenewalSchema.safeParse({ ...message, subscription: '' }).success).toBe(false);
    expect(queuedRenewalSchema.safeParse({ ...message, provider: 'acme' }).success).toBe(false);
    expect(queuedRenewalSchema.safeParse({ ...message, operation: 'cancel' }).success).toBe(false);
    expect(queuedRenewalSchema.safeParse({ ...message, params: 'x' }).success).toBe(false);
    expect(queuedRenewalSchema.safeParse({ ...message, notBefore: 5 }).success).toBe(false);
  });
});

describe('the resource the status API returns', () => {
  const attempt = (n: number, errorClass: Attempt['errorClass']): Attempt => ({
    number: n,
    startedAt: `2026-11-21T12:0${n}:00.000Z`,
    latencyMs: 10 * n,
    httpStatus: errorClass === 'success' ? 200 : 503,
    errorClass,
    message: `attempt ${n}`,
  });
  const base = (): RenewalRecord => ({
    ...newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', params: {} }, 'k1', now),
    leaseOwner: 'worker-1',
    leaseExpiresAt: 1_800_000_000_000,
  });

  it('a queued renewal: no outcome, no optional fields, no lease and no hash', () => {
    const r = base();
    expect(toResource(r)).toStrictEqual({
      id: r.id,
      provider: 'pressone',
      operation: 'renew',
      subscription: 'jane@example.com',
      params: {},
      status: 'queued',
      idempotencyKey: 'k1',
      createdAt: '2026-11-21T12:00:00.000Z',
      updatedAt: '2026-11-21T12:00:00.000Z',
      attemptCount: 0,
      attempts: [],
      outcome: null,
      history: [],
    });
  });

  it('shows operator history, and waitingFor only when given', () => {
    const history = [{ action: 'cancel', by: 'alice', at: '2026-11-21T12:05:00.000Z', note: 'closed', fromStatus: 'queued', toStatus: 'cancelled', attemptCount: 0 }] as const;
    const r: RenewalRecord = { ...base(), status: 'cancelled', history };
    expect(toResource(r).history).toEqual(history);
    expect('waitingFor' in toResource(r)).toBe(false);
    const waitingFor = { reason: 'rate_limit', until: '2026-11-21T12:01:00.000Z' } as const;
    expect(toResource(base(), waitingFor).waitingFor).toEqual(waitingFor);
  });

  it('a finished renewal: its last attempt is the outcome, with every optional field shown', () => {
    const attempts = [attempt(1, 'retryable'), attempt(2, 'success')];
    const r: RenewalRecord = {
      ...base(),
      status: 'succeeded',
      statusReason: 'the provider confirmed the renewal',
      duplicateOf: 'rnw_other',
      notBefore: '2026-11-21T11:00:00Z',
      nextAttemptAt: '2026-11-21T12:01:00.000Z',
      attempts,
    };
    const resource = toResource(r);
    expect(resource).toMatchObject({
      status: 'succeeded',
      statusReason: 'the provider confirmed the renewal',
      duplicateOf: 'rnw_other',
      notBefore: '2026-11-21T11:00:00Z',
      nextAttemptAt: '2026-11-21T12:01:00.000Z',
      attemptCount: 2,
      attempts,
    });
    expect(resource.outcome).toEqual(attempts[1]);
    expect(JSON.stringify(resource)).not.toContain('worker-1');
    expect(JSON.stringify(resource)).not.toContain(r.requestHash);
  });

  it('a renewal waiting to retry has attempts but no outcome yet; a terminal one without attempts has none either', () => {
    expect(toResource({ ...base(), status: 'retry_scheduled', attempts: [attempt(1, 'retryable')] }).outcome).toBeNull();
    expect(toResource({ ...base(), status: 'in_progress', attempts: [attempt(1, 'retryable')] }).outcome).toBeNull();
    expect(toResource({ ...base(), status: 'succeeded', duplicateOf: 'rnw_other', attempts: [] }).outcome).toBeNull();
    expect(toResource({ ...base(), status: 'failed', attempts: [attempt(1, 'permanent')] }).outcome).toMatchObject({ number: 1, errorClass: 'permanent' });
  });
});

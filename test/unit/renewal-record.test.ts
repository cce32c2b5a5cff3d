/**
 * The parts of the renewal record that mutation testing found unchecked: a request's deadline
 * kept through record, message and resource; the attempts an operator settled; copy ids.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  attemptsSettledByOperator,
  newCopyId,
  newRenewalRecord,
  queuedMessageFor,
  toResource,
  type HistoryEntry,
} from '../../shared/domain/renewal';
import type { CanonicalRequest } from '../../shared/domain/canonical';

const now = new Date('2026-11-21T12:00:00.000Z');

describe('a deadline travels with the renewal', () => {
  const request: CanonicalRequest = {
    provider: 'pressone',
    operation: 'renew',
    subscription: 'jane@example.com',
    params: {},
    deadline: '2026-11-22T12:00:00.000Z',
  };

  it('is kept by the record, the queue message and the resource the status API shows', () => {
    const record = newRenewalRecord(request, 'k', now);
    expect(record.deadline).toBe('2026-11-22T12:00:00.000Z');
    expect(queuedMessageFor(record, request).deadline).toBe('2026-11-22T12:00:00.000Z');
    expect(toResource(record).deadline).toBe('2026-11-22T12:00:00.000Z');
  });

  it('is absent everywhere when the request has none', () => {
    const { deadline: _dropped, ...rest } = request;
    const record = newRenewalRecord(rest, 'k', now);
    expect('deadline' in record).toBe(false);
    expect('deadline' in queuedMessageFor(record, rest)).toBe(false);
    expect('deadline' in toResource(record)).toBe(false);
  });
});

describe('attempts settled by an operator', () => {
  const entry = (over: Partial<HistoryEntry>): HistoryEntry => ({
    action: 'retry',
    by: 'ops',
    at: '2026-11-21T12:00:00.000Z',
    note: '',
    fromStatus: 'needs_attention',
    toStatus: 'queued',
    attemptCount: 1,
    ...over,
  });

  it('none without history, or when no retry said the provider did not renew it', () => {
    expect(attemptsSettledByOperator({})).toBe(0);
    expect(attemptsSettledByOperator({ history: [] })).toBe(0);
    expect(attemptsSettledByOperator({ history: [entry({ attemptCount: 3 })] })).toBe(0);
  });

  it('the attempts the renewal had at the last retry saying "not renewed"', () => {
    const history = [
      entry({ providerState: 'not_renewed', attemptCount: 2 }),
      entry({ attemptCount: 3 }),
      entry({ providerState: 'not_renewed', attemptCount: 5 }),
      entry({ attemptCount: 6 }),
    ];
    expect(attemptsSettledByOperator({ history })).toBe(5);
  });

  it('only a retry settles attempts, not another action that carries the same state', () => {
    const history = [
      entry({ providerState: 'not_renewed', attemptCount: 2 }),
      entry({ action: 'resolve', outcome: 'failed', providerState: 'not_renewed', attemptCount: 4 }),
    ];
    expect(attemptsSettledByOperator({ history })).toBe(2);
  });
});

describe('copy ids', () => {
  afterEach(() => vi.restoreAllMocks());

  it('pad a small draw to five characters, so different draws do not run together into one id', () => {
    // Unpadded, draws 1, 36, 0, 0 would read "1" "10" "0" "0": the same text as 37, 0, 0, 0.
    const draws = (xs: number[]) => {
      const spy = vi.spyOn(Math, 'random');
      for (const x of xs) spy.mockReturnValueOnce(x / 2 ** 26);
      return newCopyId();
    };
    expect(draws([0, 0, 0, 0])).toBe('00000000000000000000');
    expect(draws([1, 36, 0, 0])).toBe('00001000100000000000');
    expect(draws([1, 36, 0, 0])).not.toBe(draws([37, 0, 0, 0]));
  });

  it('are base-36 text, five or six characters per draw', () => {
    for (let i = 0; i < 50; i++) expect(newCopyId()).toMatch(/^[0-9a-z]{20,24}$/);
  });
});

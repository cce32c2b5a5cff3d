/** Events derived from table stream records (shared/events/event.ts). */
import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { deriveEvent, eventIdFor } from '../../shared/events/event';
import { newRenewalRecord } from '../../shared/domain/renewal';

const base = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', params: {} }, 'key-1', new Date('2026-11-01T00:00:00.000Z'));
const item = (r: Record<string, unknown>) => ({ pk: `RENEWAL#${base.id}`, sk: 'RENEWAL', gsi1pk: 'SUB#pressone#jane@example.com', gsi1sk: 'x', ...base, ...r });
const image = (v: Record<string, unknown>) => marshall(v, { removeUndefinedValues: true }) as Record<string, AttributeValue>;

let seq = 100;
const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', newItem?: Record<string, unknown>, oldItem?: Record<string, unknown>): DynamoDBRecord => {
  const keySource = newItem ?? oldItem ?? {};
  return {
    eventID: `e-${seq}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: image({ pk: keySource.pk, sk: keySource.sk }),
      ...(newItem ? { NewImage: image(newItem) } : {}),
      ...(oldItem ? { OldImage: image(oldItem) } : {}),
      SequenceNumber: String(seq++),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
};

const attempt = { number: 1, startedAt: '2026-11-01T00:00:01.000Z', latencyMs: 42, httpStatus: 503, errorClass: 'retryable' as const, message: 'busy' };

describe('deriveEvent', () => {
  it('a new renewal is renewal.queued, with its summary', () => {
    const d = deriveEvent(record('INSERT', item({})));
    expect(d).toEqual({
      kind: 'event',
      event: {
        id: eventIdFor(base.id, 'queued', base.updatedAt),
        type: 'renewal.queued',
        createdAt: base.updatedAt,
        data: { id: base.id, provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', status: 'queued', attemptCount: 0, lastErrorClass: null, reason: null },
      },
      // From acceptance (no notBefore) to this status: none yet. TimeToDone is emitted for final statuses only.
      sinceDueMs: 0,
    });
  });

  it('a status change is an event with the last attempt and the reason', () => {
    const old = item({ status: 'in_progress', leaseOwner: 'w1', updatedAt: '2026-11-01T00:00:01.000Z' });
    const next = item({ status: 'retry_scheduled', statusReason: 'provider busy', attempts: [attempt], updatedAt: '2026-11-01T00:00:02.000Z' });
    const d = deriveEvent(record('MODIFY', next, old));
    expect(d.kind).toBe('event');
    if (d.kind !== 'event') return;
    expect(d.event.type).toBe('renewal.retry_scheduled');
    expect(d.event.createdAt).toBe('2026-11-01T00:00:02.000Z');
    expect(d.event.data).toMatchObject({ status: 'retry_scheduled', attemptCount: 1, lastErrorClass: 'retryable', reason: 'provider busy' });
    expect(d.lastAttemptLatencyMs).toBe(42);
  });

  it('the same status written again (attempts appended, a send failure noted) is no event', () => {
    const old = item({ status: 'queued' });
    const next = item({ status: 'queued', sendFailedAt: '2026-11-01T00:00:03.000Z', statusReason: 'not yet queued', updatedAt: '2026-11-01T00:00:03.000Z' });
    expect(deriveEvent(record('MODIFY', next, old))).toEqual({ kind: 'ignored', reason: 'status-unchanged' });
  });

  it('in_progress is never an event', () => {
    expect(deriveEvent(record('MODIFY', item({ status: 'in_progress' }), item({ status: 'queued' })))).toEqual({ kind: 'ignored', reason: 'in-progress' });
  });

  it('a status this code does not know yet (cancelled) is renewal.<status>', () => {
    const d = deriveEvent(record('MODIFY', item({ status: 'cancelled', updatedAt: '2026-11-02T00:00:00.000Z' }), item({ status: 'retry_scheduled' })));
    expect(d.kind === 'event' && d.event.type).toBe('renewal.cancelled');
  });

  it('other items (schedules, periods, the event log) and removals are ignored', () => {
    expect(deriveEvent(record('INSERT', { pk: 'SCHEDULE#pressone#x', sk: 'SCHEDULE', status: 'active' }))).toEqual({ kind: 'ignored', reason: 'not-a-renewal' });
    expect(deriveEvent(record('INSERT', { pk: 'EVENTLOG', sk: '000000000000001', seq: 1 }))).toEqual({ kind: 'ignored', reason: 'not-a-renewal' });
    expect(deriveEvent(record('REMOVE', undefined, item({})))).toEqual({ kind: 'ignored', reason: 'removed' });
  });

  it('a redelivered record yields the same event, id included; another write of the status another id', () => {
    const next = item({ status: 'succeeded', attempts: [{ ...attempt, errorClass: 'success' }], updatedAt: '2026-11-01T00:00:05.000Z' });
    const old = item({ status: 'in_progress' });
    const first = deriveEvent(record('MODIFY', next, old));
    const again = deriveEvent(record('MODIFY', next, old));
    expect(first.kind === 'event' && again.kind === 'event' && first.event).toEqual(again.kind === 'event' && again.event);
    const later = deriveEvent(record('MODIFY', { ...next, updatedAt: '2026-11-01T00:00:09.000Z' }, old));
    expect(first.kind === 'event' && later.kind === 'event' && first.event.id !== later.event.id).toBe(true);
  });

  it('an image without the renewal fields is invalid, naming the field', () => {
    const d = deriveEvent(record('MODIFY', item({ status: 'Not A Status' }), item({ status: 'queued' })));
    expect(d.kind).toBe('invalid');
    expect(d.kind === 'invalid' && d.problems.join(' ')).toContain('dynamodb.NewImage.status');
    const noOld = deriveEvent({ ...record('MODIFY', item({ status: 'failed' })), eventName: 'MODIFY' });
    expect(noOld.kind === 'invalid' && noOld.problems.join(' ')).toContain('OldImage');
  });
});

/** EventBridgePublisher: chunks of 10, FailedEntryCount honoured, failed entries retried then returned. */
import { describe, expect, it } from 'vitest';
import type { EventBridgeClient, PutEventsCommand, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../shared/events/publish';
import type { RenewalEvent } from '../../shared/events/event';
import { createLogger } from '../../shared/logger';

const event = (n: number): RenewalEvent => ({
  id: `evt_${n}`,
  type: 'renewal.succeeded',
  createdAt: '2026-11-01T00:00:00.000Z',
  data: { id: 'rnw_x', provider: 'pressone', operation: 'renew', subscription: 's', status: 'succeeded', attemptCount: 1, lastErrorClass: 'success', reason: null },
});

/** A fake client: `answer` decides each entry's fate per call. */
const fakeClient = (answer: (detailIds: string[], call: number) => PutEventsResultEntry[] | Error) => {
  const calls: string[][] = [];
  const client = {
    send: (command: PutEventsCommand) => {
      const ids = (command.input.Entries ?? []).map((e) => (JSON.parse(String(e.Detail)) as RenewalEvent).id);
      calls.push(ids);
      const result = answer(ids, calls.length);
      if (result instanceof Error) return Promise.reject(result);
      return Promise.resolve({ Entries: result, FailedEntryCount: result.filter((r) => r.ErrorCode).length });
    },
  } as unknown as EventBridgeClient;
  return { client, calls };
};
const ok = (ids: string[]): PutEventsResultEntry[] => ids.map((id) => ({ EventId: `eb-${id}` }));
const noSleep = { sleep: () => Promise.resolve() };
const logger = createLogger('events', 'SILENT');

describe('EventBridgePublisher', () => {
  it('puts 23 events in calls of at most 10, with source, detail-type and bus', async () => {
    const { client, calls } = fakeClient((ids) => ok(ids));
    const events = Array.from({ length: 23 }, (_, i) => event(i));
    expect(await new EventBridgePublisher(client, 'bus-dev', logger, noSleep).publish(events)).toEqual([]);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
  });

  it('sends only the entries PutEvents reported failed again, and succeeds when they go through', async () => {
    const { client, calls } = fakeClient((ids, call) => (call === 1 ? ids.map((id, i) => (i === 1 || i === 3 ? { ErrorCode: 'ThrottlingException' } : { EventId: `eb-${id}` })) : ok(ids)));
    const events = Array.from({ length: 5 }, (_, i) => event(i));
    expect(await new EventBridgePublisher(client, 'bus', logger, noSleep).publish(events)).toEqual([]);
    expect(calls).toEqual([events.map((e) => e.id), ['evt_1', 'evt_3']]);
  });

  it('returns what still fails after its attempts (the stream then retries it); a thrown call counts as failed', async () => {
    const { client, calls } = fakeClient((ids, call) => (call === 1 ? new Error('network') : ids.map((id) => (id === 'evt_2' ? { ErrorCode: 'InternalFailure' } : { EventId: id }))));
    const events = Array.from({ length: 4 }, (_, i) => event(i));
    const failed = await new EventBridgePublisher(client, 'bus', logger, { ...noSleep, maxAttempts: 3 }).publish(events);
    expect(failed.map((e) => e.id)).toEqual(['evt_2']);
    expect(calls.length).toBe(3);
  });
});

/** The events function's batch rules (functions/events/app.ts) and its metrics (functions/events/metrics.ts). */
import { describe, expect, it, vi } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createEventsHandler, type EventObserver } from '../../functions/events/app';
import { createEventMetrics } from '../../functions/events/metrics';
import type { EventLog } from '../../shared/adapters/event-log';
import { deriveEvent, type DerivedEvent, type GatewayEvent } from '../../shared/events/event';
import type { EventPublisher } from '../../shared/events/publish';
import { newRenewalRecord } from '../../shared/domain/renewal';
import { createLogger } from '../../shared/logger';

const renewal = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'a@example.com', params: {} }, 'key-h', new Date('2026-11-01T00:00:00.000Z'));
const image = (v: Record<string, unknown>) => marshall(v, { removeUndefinedValues: true }) as Record<string, AttributeValue>;
let seq = 1;
const change = (from: string, to: string, extra: Record<string, unknown> = {}): DynamoDBRecord => {
  const item = { pk: `RENEWAL#${renewal.id}`, sk: 'RENEWAL', ...renewal };
  const n = seq++;
  return {
    eventID: `e${n}`,
    eventName: 'MODIFY',
    dynamodb: {
      Keys: image({ pk: item.pk, sk: item.sk }),
      OldImage: image({ ...item, status: from }),
      NewImage: image({ ...item, status: to, updatedAt: new Date(Date.UTC(2026, 10, 1, 0, 0, n)).toISOString(), ...extra }),
      SequenceNumber: String(n).padStart(10, '0'),
    },
  };
};

const fakeLog = (fail = false) => {
  const logged = new Set<string>();
  const log = {
    append: vi.fn((events: readonly GatewayEvent[]) => {
      if (fail) return Promise.reject(new Error('throttled'));
      const added = new Set(events.filter((e) => !logged.has(e.id)).map((e) => e.id));
      for (const id of added) logged.add(id);
      return Promise.resolve(added);
    }),
  };
  return log;
};
const publisherFailing = (ids: (events: readonly GatewayEvent[]) => readonly GatewayEvent[]): EventPublisher => ({ publish: (events) => Promise.resolve(ids(events)) });
const logger = createLogger('events', 'SILENT');

describe('events handler', () => {
  it('logs and publishes the status changes of a batch, skipping the rest; nothing fails', async () => {
    const log = fakeLog();
    const published: GatewayEvent[] = [];
    const handler = createEventsHandler({ log: log as unknown as EventLog, publisher: { publish: (e) => (published.push(...e), Promise.resolve([])) }, logger });
    const records = [change('queued', 'in_progress'), change('in_progress', 'retry_scheduled'), change('retry_scheduled', 'retry_scheduled'), change('in_progress', 'succeeded'), change('queued', 'Bad Status')];
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(published.map((e) => e.type)).toEqual(['renewal.retry_scheduled', 'renewal.succeeded']);
    expect(log.append).toHaveBeenCalledTimes(1);
  });

  it('a log that cannot be written fails the batch from its first event', async () => {
    const records = [change('queued', 'in_progress'), change('in_progress', 'failed'), change('failed', 'needs_attention')];
    const handler = createEventsHandler({ log: fakeLog(true) as unknown as EventLog, publisher: publisherFailing(() => []), logger });
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }] });
  });

  it('events the bus refused fail the batch from the first of them; the redelivery is logged once and observed once', async () => {
    const records = [change('in_progress', 'retry_scheduled'), change('in_progress', 'succeeded'), change('succeeded', 'needs_attention')];
    const log = fakeLog();
    const observed: string[] = [];
    const observer: EventObserver = { observe: (d: readonly DerivedEvent[]) => observed.push(...d.map((x) => x.event.type)), flush: () => undefined };
    let call = 0;
    const handler = createEventsHandler({ log: log as unknown as EventLog, observer, logger, publisher: publisherFailing((events) => (++call === 1 ? events.slice(1) : [])) });
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }] });
    // Lambda retries from that record on.
    expect(await handler({ Records: records.slice(1) })).toEqual({ batchItemFailures: [] });
    expect(observed).toEqual(['renewal.retry_scheduled', 'renewal.succeeded', 'renewal.needs_attention']);
  });
});

describe('event metrics', () => {
  it('counts finished renewals by provider × status × error class, and attempt latency, as EMF lines', () => {
    const lines: string[] = [];
    // The test setup sets POWERTOOLS_DEV, which disables metrics and writes them to the global console.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      const metrics = new Metrics({ namespace: 'RenewalGateway', serviceName: 'renewal-gateway' });
      const observer = createEventMetrics(metrics);
      const attempts = [{ number: 1, startedAt: '2026-11-01T00:00:00.000Z', latencyMs: 120, errorClass: 'permanent', message: 'no' }];
      const derived = [change('in_progress', 'failed', { attempts }), change('in_progress', 'needs_attention', { attempts }), change('queued', 'retry_scheduled')]
        .map(deriveEvent)
        .filter((d): d is DerivedEvent => d.kind === 'event');
      observer.observe(derived);
      observer.flush();
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } });
    const completed = emf.filter((e) => e._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === 'RenewalsCompleted'));
    expect(completed.map((e) => [e.provider, e.status, e.errorClass])).toEqual([
      ['pressone', 'failed', 'permanent'],
      ['pressone', 'needs_attention', 'permanent'],
    ]);
    expect(completed[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('RenewalGateway');
    const latency = emf.filter((e) => e._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === 'AttemptLatency'));
    expect(latency.map((e) => e.AttemptLatency)).toEqual([120, 120]);
    const totals = emf.find((e) => e._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === 'RenewalsFinished'));
    expect(totals).toMatchObject({ RenewalsFinished: 2, RenewalsFailed: 1, RenewalsNeedingAttention: 1, service: 'renewal-gateway' });
  });

  it('reports the time from due (notBefore) or accepted (createdAt) to done, for finished renewals only', () => {
    const lines: string[] = [];
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const derived = [
      // Accepted 2026-11-01T00:00:00Z, no due time: from acceptance.
      change('in_progress', 'succeeded', { updatedAt: '2026-11-01T00:00:30.000Z' }),
      // Due an hour after it was accepted: from the due time.
      change('in_progress', 'failed', { notBefore: '2026-11-01T01:00:00.000Z', updatedAt: '2026-11-01T01:00:02.500Z' }),
      // Not finished: no figure.
      change('queued', 'retry_scheduled', { updatedAt: '2026-11-01T00:05:00.000Z' }),
    ]
      .map(deriveEvent)
      .filter((d): d is DerivedEvent => d.kind === 'event');
    expect(derived.map((d) => d.sinceDueMs)).toEqual([30_000, 2_500, 300_000]);
    try {
      const observer = createEventMetrics(new Metrics({ namespace: 'RenewalGateway', serviceName: 'renewal-gateway' }));
      observer.observe(derived);
      observer.flush();
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string; Unit: string }> }> } });
    const done = emf.filter((e) => e._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === 'TimeToDone'));
    expect(done.map((e) => [e.provider, e.TimeToDone])).toEqual([
      ['pressone', 30_000],
      ['pressone', 2_500],
    ]);
    expect(done[0]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'TimeToDone', Unit: 'Milliseconds' }]);
  });
});

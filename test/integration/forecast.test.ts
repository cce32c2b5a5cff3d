/**
 * Backlog forecast (issue 12): each provider's queue depth at its pace against the earliest
 * deadline waiting; the sweeper emits it as metrics for the `BacklogForecastLate` alarm, and
 * `GET /v1/providers` shows it (test/integration/operator.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { startSqsServer, type SqsServer } from '../../local/sqs/server';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { forecastBacklog, providerPace } from '../../shared/domain/forecast';
import { newRenewalRecord } from '../../shared/domain/renewal';
import { PROVIDER_CONFIG, QUEUES } from '../../shared/system';
import { createSweeperHandler, loadSweeperDeps } from '../../functions/sweeper/app';
import { createRenewalTable } from '../support/tables';

describe('forecastBacklog', () => {
  const now = new Date('2026-12-01T00:00:00.000Z');
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

  it('drains the backlog at the pace and compares the finish with the earliest deadline', () => {
    // 7,200 renewals at 120 a minute: an hour.
    const f = forecastBacklog({ backlog: 7_200, perSecond: providerPace('120/60s', 5), now, deadlines: [at(7_200), undefined, at(1_800), 'not a date'] });
    expect(f).toEqual({ backlog: 7_200, perSecond: 2, drainsBy: at(3_600), earliestDeadline: at(1_800), late: true, lateBySeconds: 1_800 });
  });

  it('is not late with time to spare, or without any deadline', () => {
    expect(forecastBacklog({ backlog: 100, perSecond: 10, now, deadlines: [at(11)] })).toMatchObject({ drainsBy: at(10), late: false, lateBySeconds: -1 });
    expect(forecastBacklog({ backlog: 100, perSecond: 10, now, deadlines: [] })).toMatchObject({ earliestDeadline: null, late: false, lateBySeconds: null });
    // A deadline already passed while its renewal waits is late whatever the backlog.
    expect(forecastBacklog({ backlog: 0, perSecond: 1, now, deadlines: [at(-1)] })).toMatchObject({ drainsBy: at(0), late: true });
  });

  it('paces a provider by its rate limit, else by its concurrent batches', () => {
    expect(providerPace('30/1m', 5)).toBe(0.5);
    expect(providerPace('off', 5)).toBe(5);
    expect(providerPace(undefined, 3)).toBe(3);
    expect(providerPace(null, 0)).toBe(1);
  });
});

describe('the sweeper forecasts each backlog', () => {
  let dynamo: DynamoDBClient;
  let tableName: string;
  let sqsServer: SqsServer;
  let sqs: SQSClient;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    const t = await createRenewalTable('forecast');
    dynamo = t.dynamo;
    tableName = t.tableName;
    sqsServer = await startSqsServer({ port: 0 });
    sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    env.TABLE_NAME = tableName;
    for (const q of QUEUES) env[q.urlEnv] = (await sqs.send(new CreateQueueCommand({ QueueName: `forecast-${q.provider}` }))).QueueUrl ?? '';
  });
  afterAll(async () => {
    sqs?.destroy();
    await sqsServer?.stop();
    dynamo?.destroy();
  });

  it('emits how late each provider is forecast to be and how many are late; the run answers the forecasts', async () => {
    // Pelcro at one call a minute with 10 messages waiting: 600 s; the oldest renewal must be done in 60 s.
    env[PROVIDER_CONFIG.pelcro.rateLimitEnv] = '1/60s';
    const url = env[QUEUES.find((q) => q.provider === 'pelcro')?.urlEnv ?? ''] ?? '';
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: '{}' })) }));
    const store = new RenewalRecords(dynamo, tableName);
    const now = new Date();
    const deadline = new Date(now.getTime() + 60_000).toISOString();
    await store.create(
      newRenewalRecord({ provider: 'pelcro', operation: 'renew', subscription: '42', params: { siteId: 1, userId: 34, planId: 7 }, deadline }, `forecast-${now.getTime()}`, now),
    );

    const lines: string[] = [];
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    let run;
    try {
      const metrics = new Metrics({ namespace: 'RenewalGateway', serviceName: 'renewal-gateway' });
      run = await createSweeperHandler(loadSweeperDeps(env, { dynamo, sqs }, new Logger({ logLevel: 'SILENT' }), metrics))();
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(run.forecasts.pelcro).toMatchObject({ backlog: 10, perSecond: 1 / 60, earliestDeadline: deadline, late: true });
    expect(run.forecasts.pressone).toMatchObject({ backlog: 0, earliestDeadline: null, late: false });

    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const lateBy = emf.filter((e) => e.BacklogForecastLateSeconds !== undefined);
    expect(lateBy.map((e) => e.provider)).toEqual(['pelcro']);
    expect(Number(lateBy[0]?.BacklogForecastLateSeconds)).toBeGreaterThan(500);
    expect(emf.find((e) => e.ProvidersForecastLate !== undefined)).toMatchObject({ ProvidersForecastLate: 1, service: 'renewal-gateway' });
  });
});

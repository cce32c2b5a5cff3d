/**
 * Dollars per million renewals (docs/architecture.md#performance, README#cost), from what the local
 * stack counts at each function's SDK clients: requests, DynamoDB capacity units as DynamoDB
 * reports them (indexes included), invocations; priced with the list prices in bench/aws-model.ts.
 *
 * Four ways a renewal arrives: by webhook or by schedule, at low volume (one at a time: batches of
 * one, a scheduler run per renewal) or in bulk (BENCH_COST_BULK at once, default 500).
 * Function durations cannot be measured here; they are stated assumptions.
 */
import { startLocalStack, type LocalStack } from '../local/stack';
import { freePort } from '../local/ports';
import { signedHeaders } from '../local/webhook-client';
import { ScheduleStore } from '../shared/adapters/schedule-store';
import { scheduleFromRequest } from '../shared/domain/schedule';
import { functionDescription } from '../shared/system';
import { PRICES, PRICES_AS_OF } from './aws-model';
import { fmt, table } from './stats';

const BULK = Number(process.env.BENCH_COST_BULK ?? 500);
const LOW = Number(process.env.BENCH_COST_LOW ?? 10);

/** Assumed billed durations (the local stack cannot measure Lambda's): seconds per invocation. */
const DURATION = {
  intake: 0.1,
  /** A consumer batch: its set-up and a provider call per renewal (mostly waiting on the provider). */
  consumerBase: 0.2,
  consumerPerRenewal: 0.1,
  schedulerInvocation: 0.2,
  /** Per schedule queued: the measured CPU of the scheduler bench at 1024 MB, rounded up. */
  schedulerPerSchedule: 0.005,
} as const;

interface Counts {
  readonly n: number;
  readonly c: Record<string, number>;
  /** Handler wall-clock time by function (local: an upper bound of what Lambda would bill). */
  readonly t: Record<string, { invocations: number; ms: number }>;
}

/** Where the capacity units go, by function, per renewal. */
const unitsByFunction = ({ n, c }: Counts) =>
  Object.entries(c)
    .filter(([k]) => / DynamoDB\.(Write|Read)Units$/.test(k))
    .map(([k, v]) => ({ function: k.split(' ')[0] ?? k, units: k.endsWith('WriteUnits') ? 'WRU' : 'RRU', 'per renewal': fmt(v / n, 2) }));

/** Measured handler time against the assumed billed duration. */
const timingsOf = ({ t }: Counts) =>
  Object.entries(t).map(([fn, { invocations, ms }]) => ({
    function: fn,
    invocations: String(invocations),
    'mean ms per invocation (measured here)': fmt(ms / invocations, 1),
    'assumed ms': fn === 'intake' ? String(DURATION.intake * 1000) : fn.startsWith('consumer-') ? `${DURATION.consumerBase * 1000} + ${DURATION.consumerPerRenewal * 1000} per renewal` : '—',
  }));

const sum = (c: Record<string, number>, pattern: RegExp): number => Object.entries(c).filter(([k]) => pattern.test(k)).reduce((s, [, v]) => s + v, 0);

const dollarsPerMillion = ({ n, c }: Counts, webhook: boolean) => {
  const per = (x: number) => x / n;
  const intake = per(sum(c, /^intake Lambda\.Invoke$/));
  const consumer = per(sum(c, /^consumer-\S+ Lambda\.Invoke$/));
  const scheduler = per(sum(c, /^scheduler Lambda\.Invoke$/));
  const gbSeconds =
    intake * DURATION.intake * (functionDescription('intake').memoryMb / 1024) +
    (consumer * DURATION.consumerBase + DURATION.consumerPerRenewal) * (functionDescription('consumer-pressone').memoryMb / 1024) +
    (scheduler * DURATION.schedulerInvocation + (webhook ? 0 : DURATION.schedulerPerSchedule)) * (functionDescription('scheduler').memoryMb / 1024);
  const sqs = per(sum(c, / SQS\.(?!ReceiveMessage \(empty\))/) - sum(c, / SQS\.ReceiveMessage \(empty\)$/));
  const writes = per(sum(c, / DynamoDB\.WriteUnits$/));
  const reads = per(sum(c, / DynamoDB\.ReadUnits$/));
  const rows = [
    { item: 'HTTP API', 'per renewal': webhook ? '1 request' : '—', '$ per million': webhook ? PRICES.httpApiPerMillion : 0 },
    { item: 'Lambda requests', 'per renewal': `${fmt(intake + consumer + scheduler, 3)} invocations`, '$ per million': (intake + consumer + scheduler) * PRICES.lambdaRequestsPerMillion },
    { item: 'Lambda duration (assumed, arm64)', 'per renewal': `${fmt(gbSeconds, 4)} GB-s`, '$ per million': gbSeconds * 1e6 * PRICES.lambdaArmPerGbSecond },
    { item: 'SQS (empty idle polls apart)', 'per renewal': `${fmt(sqs, 3)} requests`, '$ per million': sqs * PRICES.sqsPerMillion },
    { item: 'DynamoDB writes (indexes included)', 'per renewal': `${fmt(writes, 2)} WRU`, '$ per million': writes * PRICES.dynamoWritePerMillion },
    { item: 'DynamoDB reads', 'per renewal': `${fmt(reads, 2)} RRU`, '$ per million': reads * PRICES.dynamoReadPerMillion },
  ];
  const total = rows.reduce((s, r) => s + r['$ per million'], 0);
  const traces = intake + consumer + scheduler;
  return { rows, total, tracing: traces * PRICES.xrayTracesPerMillion };
};

const renewByWebhook = async (stack: LocalStack, email: string): Promise<void> => {
  const body = JSON.stringify({ email });
  const res = await fetch(`${stack.apiUrl}/v1/providers/pressone/renew-number`, { method: 'POST', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', body), body });
  if (res.status !== 202) throw new Error(`intake answered ${res.status}`);
};
const waitRenewed = async (stack: LocalStack, emails: readonly string[]): Promise<void> => {
  const deadline = Date.now() + 15 * 60_000;
  while (emails.some((e) => stack.sandboxes.pressone.renewalsFor(e) === 0)) {
    if (Date.now() > deadline) throw new Error('renewals did not finish within 15 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  // Let the last completions land before reading the counters.
  await new Promise((r) => setTimeout(r, 1_500));
};
const schedule = async (stack: LocalStack, emails: readonly string[]): Promise<void> => {
  const store = new ScheduleStore(stack.dynamo, stack.tableName);
  const due = new Date(Date.now() - 60_000).toISOString();
  for (const email of emails) {
    const s = await scheduleFromRequest('pressone', email, { cadence: 'P1M', nextRunAt: due }, new Date());
    if (!s.ok) throw new Error(JSON.stringify(s.errors));
    await store.put(s.value);
  }
};

export const benchCost = async (): Promise<void> => {
  const stack = await startLocalStack({ apiPort: 0, sqsPort: 0, sandboxPort: 0, dynamoPort: await freePort(), namePrefix: 'bench-cost', logLevel: 'SILENT', schedulerIntervalMs: 0, sweeperIntervalMs: 0 });
  try {
    const results: Array<{ path: string; counts: Counts; webhook: boolean }> = [];
    let k = 0;
    const emails = (n: number) => Array.from({ length: n }, () => `cost${++k}@example.com`);

    // Webhooks one at a time: each batch holds one renewal.
    let batch = emails(LOW);
    stack.resetRequestCounts();
    for (const e of batch) {
      await renewByWebhook(stack, e);
      await waitRenewed(stack, [e]);
    }
    results.push({ path: `webhook, low volume (${LOW} one at a time)`, counts: { n: LOW, c: stack.requestCounts(), t: stack.handlerTimings() }, webhook: true });

    // Webhooks in bulk: 32 senders.
    batch = emails(BULK);
    stack.resetRequestCounts();
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < batch.length) await renewByWebhook(stack, batch[next++] ?? '');
    }));
    await waitRenewed(stack, batch);
    results.push({ path: `webhook, bulk (${BULK} at once)`, counts: { n: BULK, c: stack.requestCounts(), t: stack.handlerTimings() }, webhook: true });

    // Schedules one at a time: a scheduler run for each.
    batch = emails(LOW);
    stack.resetRequestCounts();
    for (const e of batch) {
      await schedule(stack, [e]);
      await stack.runScheduler();
      await waitRenewed(stack, [e]);
    }
    results.push({ path: `scheduled, low volume (${LOW}, a run each)`, counts: { n: LOW, c: stack.requestCounts(), t: stack.handlerTimings() }, webhook: false });

    // Schedules in bulk: one run.
    batch = emails(BULK);
    await schedule(stack, batch);
    stack.resetRequestCounts();
    await stack.runScheduler();
    await waitRenewed(stack, batch);
    results.push({ path: `scheduled, bulk (${BULK} due at once)`, counts: { n: BULK, c: stack.requestCounts(), t: stack.handlerTimings() }, webhook: false });

    console.log(`\nCost per million PressOne renewals (prices: ${PRICES_AS_OF}; tracing off, the default)\n`);
    console.log(
      `Assumed billed durations: intake ${DURATION.intake} s at ${functionDescription('intake').memoryMb} MB; a consumer batch ${DURATION.consumerBase} s + ${DURATION.consumerPerRenewal} s per renewal at ${functionDescription('consumer-pressone').memoryMb} MB; the scheduler ${DURATION.schedulerInvocation} s per invocation + ${DURATION.schedulerPerSchedule} s per schedule at ${functionDescription('scheduler').memoryMb} MB.`,
    );
    const summary: Array<Record<string, string>> = [];
    for (const r of results) {
      const d = dollarsPerMillion(r.counts, r.webhook);
      console.log(`\n${r.path}\n`);
      console.log(table(d.rows.map((row) => ({ ...row, '$ per million': fmt(row['$ per million'], 2) }))));
      console.log('\nCapacity units by function\n');
      console.log(table(unitsByFunction(r.counts)));
      const timings = timingsOf(r.counts);
      if (timings.length > 0) {
        console.log('\nHandler time (wall clock on this machine, DynamoDB Local and the local SQS endpoint included)\n');
        console.log(table(timings));
      }
      summary.push({ path: r.path, '$ per million': fmt(d.total, 2), 'with -c tracing=active (at most)': fmt(d.total + d.tracing, 2) });
    }
    console.log('\nTotals\n');
    console.log(table(summary));
  } finally {
    await stack.stop();
  }
};

/**
 * 10,000 schedules due at once (BENCH_SCHEDULES to change): one scheduler run queues them, the
 * PressOne consumer renews them, and every subscription must be renewed exactly once. Prints the
 * run's duration and the DynamoDB/SQS requests it made per schedule.
 */
import { startLocalStack } from '../local/stack';
import { freePort } from '../local/ports';
import { ScheduleStore } from '../shared/adapters/schedule-store';
import { scheduleFromRequest } from '../shared/domain/schedule';
import { fmt, table } from './stats';

const N = Number(process.env.BENCH_SCHEDULES ?? 10_000);

export const benchScheduler = async (): Promise<void> => {
  const stack = await startLocalStack({
    apiPort: 0,
    sqsPort: 0,
    sandboxPort: 0,
    dynamoPort: await freePort(),
    namePrefix: 'bench-sched',
    logLevel: 'SILENT',
    schedulerIntervalMs: 0,
  });
  try {
    // Set-up straight into the table (not through the API): it is not what is measured.
    const store = new ScheduleStore(stack.dynamo, stack.tableName);
    const emails = Array.from({ length: N }, (_, i) => `sched${i}@example.com`);
    const due = new Date(Date.now() - 60_000).toISOString();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < N) {
          const email = emails[next++] ?? '';
          const s = await scheduleFromRequest('pressone', email, { cadence: 'P1M', nextRunAt: due }, new Date());
          if (!s.ok) throw new Error(JSON.stringify(s.errors));
          await store.put(s.value);
        }
      }),
    );

    stack.resetRequestCounts();
    const started = performance.now();
    const runs = [];
    for (;;) {
      const summary = await stack.runScheduler();
      runs.push(summary);
      if (summary.due === 0 || runs.length > 10) break;
    }
    const runMs = performance.now() - started;
    const counts = Object.entries(stack.requestCounts()).filter(([k]) => k.startsWith('scheduler '));

    const pressone = stack.sandboxes.pressone;
    const deadline = Date.now() + 15 * 60_000;
    while (emails.some((e) => pressone.renewalsFor(e) === 0)) {
      if (Date.now() > deadline) throw new Error('renewals did not finish within 15 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    const renewedMs = performance.now() - started;
    const again = await stack.runScheduler();
    const twice = emails.filter((e) => pressone.renewalsFor(e) !== 1).length;

    console.log(`\nScheduler: ${N} PressOne schedules due at once, local stack (2 cores)\n`);
    console.log(
      table([
        { measure: 'scheduler runs until nothing was due', value: `${runs.length} (${runs.map((r) => `${r.queued} queued`).join(', ')})` },
        { measure: 'time to queue them all', value: `${fmt(runMs / 1000)} s (${fmt(N / (runMs / 1000))} schedules/s)` },
        { measure: 'time until all renewed at the provider', value: `${fmt(renewedMs / 1000)} s` },
        { measure: 'renewed exactly once / not at all / twice', value: `${N - twice} / ${emails.filter((e) => pressone.renewalsFor(e) === 0).length} / ${emails.filter((e) => pressone.renewalsFor(e) > 1).length}` },
        { measure: 'a further run queued', value: String(again.queued) },
      ]),
    );
    console.log('\nRequests made by the scheduler, per schedule:\n');
    console.log(table(counts.map(([k, v]) => ({ request: k.replace('scheduler ', ''), total: v, 'per schedule': fmt(v / N, 2) }))));
  } finally {
    await stack.stop();
  }
};

/**
 * BENCH_SCHEDULES PressOne schedules (default 10,000) due at once: the scheduler queues them with
 * the consumers stopped (so the CPU measured is the scheduler's), then the consumers renew them, and
 * every subscription must be renewed exactly once. Prints the time, the requests per schedule
 * (counted at the scheduler's SDK clients, failed conditions apart) and the AWS model for one
 * million due at 00:00 built from them (bench/aws-model.ts).
 */
import { startLocalStack } from '../local/stack';
import { freePort } from '../local/ports';
import { ScheduleStore } from '../shared/adapters/schedule-store';
import { scheduleFromRequest } from '../shared/domain/schedule';
import { SCHEDULER, functionDescription } from '../shared/system';
import { schedulerModel } from './aws-model';
import { INBOX_SHARDS } from '../shared/domain/inbox';
import { fmt, table } from './stats';

const N = Number(process.env.BENCH_SCHEDULES ?? 10_000);
const MODEL_SCHEDULES = 1_000_000;

export const benchScheduler = async (): Promise<void> => {
  const stack = await startLocalStack({
    apiPort: 0,
    sqsPort: 0,
    sandboxPort: 0,
    dynamoPort: await freePort(),
    namePrefix: 'bench-sched',
    logLevel: 'SILENT',
    schedulerIntervalMs: 0,
    deferConsumers: true,
  });
  try {
    // Set-up straight into the table (not through the API): it is not what is measured.
    const store = new ScheduleStore(stack.dynamo, stack.tableName);
    const emails = Array.from({ length: N }, (_, i) => `sched${i}@example.com`);
    const due = new Date(Date.now() - 60_000).toISOString();
    let next = 0;
    const seedStarted = performance.now();
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
    console.log(`\n(seeded ${N} schedules in ${fmt((performance.now() - seedStarted) / 1000)} s)`);

    stack.resetRequestCounts();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const runs = [];
    for (;;) {
      const summary = await stack.runScheduler();
      runs.push(summary);
      if (summary.due === 0 || runs.length > 10) break;
    }
    const runMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerSchedule = (cpu.user + cpu.system) / 1000 / N;
    const counts = Object.entries(stack.requestCounts()).filter(([k]) => k.startsWith('scheduler '));

    await stack.startConsumers();
    const pressone = stack.sandboxes.pressone;
    const deadline = Date.now() + Math.max(15 * 60_000, N * 60);
    while (emails.some((e) => pressone.renewalsFor(e) === 0)) {
      if (Date.now() > deadline) throw new Error(`renewals did not finish within ${Math.round((deadline - Date.now()) / 60_000)} minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const renewedMs = performance.now() - started;
    const again = await stack.runScheduler();
    const once = emails.filter((e) => pressone.renewalsFor(e) === 1).length;

    const per = (suffix: string) => counts.filter(([k]) => k.endsWith(suffix)).reduce((sum, [, v]) => sum + v, 0) / N;
    const failedConditions = counts.filter(([k]) => k.endsWith('ConditionalCheckFailed')).reduce((sum, [, v]) => sum + v, 0);
    const writes = per('DynamoDB.PutItem') + per('DynamoDB.UpdateItem');
    const sqsRequests = counts.filter(([k]) => k.includes(' SQS.')).reduce((sum, [, v]) => sum + v, 0) / N;

    console.log(`\nScheduler: ${N} PressOne schedules due at once, local stack (2 shared cores; BENCH_SCHEDULES=${N})\n`);
    console.log(
      table([
        { measure: 'scheduler runs until nothing was due', value: `${runs.length} (${runs.map((r) => `${r.queued} queued over ${r.shards} shards`).join(', ')})` },
        { measure: 'time to queue them all (consumers stopped)', value: `${fmt(runMs / 1000)} s (${fmt(N / (runMs / 1000))} schedules/s, ${SCHEDULER.workers} shard workers in one process)` },
        { measure: 'CPU of the stack process while queueing', value: `${fmt(cpuMsPerSchedule, 2)} ms per schedule (scheduler, its SDK clients and the local SQS endpoint; DynamoDB Local runs apart)` },
        { measure: 'time until all renewed at the provider', value: `${fmt(renewedMs / 1000)} s` },
        { measure: 'renewed exactly once / not at all / twice', value: `${once} / ${emails.filter((e) => pressone.renewalsFor(e) === 0).length} / ${emails.filter((e) => pressone.renewalsFor(e) > 1).length}` },
        { measure: 'failed conditional writes', value: String(failedConditions) },
        { measure: 'a further run queued', value: String(again.queued) },
      ]),
    );
    console.log('\nRequests made by the scheduler, per schedule (bounds: 1 conditional write for the renewal, 1 for the advance, 0.1 SQS):\n');
    console.log(table(counts.map(([k, v]) => ({ request: k.replace('scheduler ', ''), total: v, 'per schedule': fmt(v / N, 3) }))));

    const fn = functionDescription('scheduler');
    const model = schedulerModel({
      schedules: MODEL_SCHEDULES,
      cpuMsPerSchedule,
      writesPerSchedule: writes,
      sqsRequestsPerSchedule: sqsRequests,
      shards: SCHEDULER.shards,
      workers: SCHEDULER.workers,
      workerMemoryMb: fn.memoryMb,
      writesInFlight: 16,
      writeLatencyMs: 10,
      tableWruPerSchedule: 2,
      dueIndexWruPerSchedule: 2,
      inboxShards: INBOX_SHARDS,
    });
    console.log(`\nAWS model: ${MODEL_SCHEDULES.toLocaleString('en-US')} schedules due at 00:00 (from the CPU and requests measured above, with ${N} schedules)\n`);
    console.log(table(model.lines.map((l) => ({ step: l.step, figure: l.figure }))));
    console.log(`\n→ ${model.seconds <= 600 ? 'within' : 'OVER'} the 10-minute target (${fmt(model.seconds / 60, 1)} min)`);
  } finally {
    await stack.stop();
  }
};

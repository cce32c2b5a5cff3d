/**
 * Throughput, latency and request counts of the PressOne pipeline on the local stack.
 * Sends BENCH_RENEWALS signed renewals (default 1000) with BENCH_CONCURRENCY in flight (default 32),
 * waits for every one to finish, and checks none was lost or renewed twice.
 */
import { startLocalStack } from '../local/stack';
import { signedHeaders } from '../local/webhook-client';
import { freePort } from '../local/ports';
import { fmt, percentile, table } from './stats';

const N = Number(process.env.BENCH_RENEWALS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

export const benchPipeline = async (): Promise<void> => {
  const stack = await startLocalStack({
    apiPort: 0,
    sqsPort: 0,
    sandboxPort: 0,
    dynamoPort: await freePort(),
    namePrefix: 'bench',
    logLevel: 'SILENT',
  });
  try {
    const secret = stack.env.RENEWALS_WEBHOOK_SECRETS ?? '';
    const emails = Array.from({ length: N }, (_, i) => `bench${i}@example.com`);
    const ids: string[] = new Array<string>(N);
    const intakeMs: number[] = [];
    stack.resetRequestCounts();
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const body = JSON.stringify({ email: emails[i] });
        const t = performance.now();
        const res = await fetch(`${stack.apiUrl}/v1/providers/pressone/renew-number`, { method: 'POST', headers: signedHeaders(secret, body), body });
        intakeMs.push(performance.now() - t);
        if (res.status !== 202) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
        ids[i] = ((await res.json()) as { id: string }).id;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const intakeDone = performance.now();

    const pressone = stack.sandboxes.pressone;
    const deadline = Date.now() + 10 * 60_000;
    while (emails.some((e) => pressone.renewalsFor(e) === 0)) {
      if (Date.now() > deadline) throw new Error('renewals did not finish within 10 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    const allDone = performance.now();
    // Let the last completions land before reading the counters.
    await new Promise((r) => setTimeout(r, 1_500));
    const counts = stack.requestCounts();

    const e2eMs: number[] = [];
    let succeeded = 0;
    for (const id of ids) {
      const res = await fetch(`${stack.apiUrl}/v1/renewals/${id}`, { headers: { authorization: `Bearer ${stack.env.RENEWALS_READ_TOKENS}` } });
      const r = (await res.json()) as { status: string; createdAt: string; updatedAt: string };
      if (r.status === 'succeeded') succeeded++;
      e2eMs.push(Date.parse(r.updatedAt) - Date.parse(r.createdAt));
    }
    const twice = emails.filter((e) => pressone.renewalsFor(e) !== 1).length;
    // Requests per renewal, by function: `<function> <Service>.<Command>` → count / N.
    const byFunction = new Map<string, string[]>();
    for (const [key, count] of Object.entries(counts)) {
      const [fn = '?', op = '?'] = key.split(' ');
      byFunction.set(fn, [...(byFunction.get(fn) ?? []), `${op} ${fmt(count / N, 2)}`]);
    }
    console.log(`\nPipeline: ${N} PressOne renewals, ${CONCURRENCY} concurrent senders, local stack (2 cores)\n`);
    console.log(
      table([
        { measure: 'intake throughput', value: `${fmt(N / ((intakeDone - started) / 1000))} renewals/s` },
        { measure: 'intake latency p50 / p99', value: `${fmt(percentile(intakeMs, 50))} / ${fmt(percentile(intakeMs, 99))} ms` },
        { measure: 'end-to-end throughput', value: `${fmt(N / ((allDone - started) / 1000))} renewals/s` },
        { measure: 'end-to-end latency p50 / p99', value: `${fmt(percentile(e2eMs, 50), 0)} / ${fmt(percentile(e2eMs, 99), 0)} ms (accepted → outcome recorded)` },
        { measure: 'succeeded / lost / renewed twice', value: `${succeeded} / ${N - succeeded} / ${twice}` },
      ]),
    );
    console.log('\nAWS requests per renewal, by function (what is billed per renewal):\n');
    console.log(table([...byFunction].map(([fn, ops]) => ({ function: fn, 'requests per renewal': ops.join(', ') }))));
    console.log(`\nAll counted requests: ${JSON.stringify(counts)}`);
  } finally {
    await stack.stop();
  }
};

/**
 * Scheduled renewals on the local stack (issue 4): schedules set through the API, found due by
 * the scheduler, renewed once per period whatever happens around them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LocalStack } from '../../local/stack';
import { startTestStack } from '../support/stack';
import { signedHeaders } from '../../local/webhook-client';
import { loadSchedulerDeps } from '../../functions/scheduler/app';
import { runScheduler } from '../../shared/scheduler/run';
import { ScheduleStore } from '../../shared/adapters/schedule-store';
import { scheduledKey, currentRunIndex, renewalRequestFor } from '../../shared/domain/schedule';
import { addDuration, parseDuration } from '../../shared/domain/duration';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('schedules', {
    schedulerIntervalMs: 0,
    env: { RETRY_BASE_DELAY_MS: '200' },
  });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  for (const sandbox of Object.values(stack.sandboxes)) sandbox.reset();
});

let n = 0;
const next = () => ++n + Math.floor(Math.random() * 1_000_000);
const iso = (ms: number) => new Date(ms).toISOString();
const readHeaders = () => ({ authorization: `Bearer ${stack.env.RENEWALS_READ_TOKENS}` });
const path = (provider: string, ref: string) => `/v1/subscriptions/${provider}/${encodeURIComponent(ref)}/schedule`;

const put = async (provider: string, ref: string, body: unknown) => {
  const raw = JSON.stringify(body);
  const res = await fetch(`${stack.apiUrl}${path(provider, ref)}`, { method: 'PUT', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', raw), body: raw });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};
const del = async (provider: string, ref: string) => {
  const headers = signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', '');
  delete headers['content-type'];
  return (await fetch(`${stack.apiUrl}${path(provider, ref)}`, { method: 'DELETE', headers })).status;
};
interface ScheduleView {
  status: string;
  nextRunAt: string | null;
  lastRenewal: { id: string; status: string | null; periodStart: string } | null;
}
const get = async (provider: string, ref: string) => {
  const res = await fetch(`${stack.apiUrl}${path(provider, ref)}`, { headers: readHeaders() });
  return { status: res.status, json: (await res.json()) as ScheduleView };
};
const renewalsOf = async (provider: string, ref: string) => {
  const res = await fetch(`${stack.apiUrl}/v1/subscriptions/${provider}/${encodeURIComponent(ref)}/renewals`, { headers: readHeaders() });
  return ((await res.json()) as { items: Array<{ id: string; status: string; duplicateOf?: string; params: Record<string, unknown> }> }).items;
};
const waitForRenewals = async (provider: string, ref: string, count: number, statuses = ['succeeded', 'accepted']) => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const items = await renewalsOf(provider, ref);
    if (items.length >= count && items.every((i) => statuses.includes(i.status))) return items;
    if (Date.now() > deadline) throw new Error(`${provider}/${ref}: ${JSON.stringify(items.map((i) => i.status))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
/** A run through the local endpoint, as `npm run call -- POST /_local/scheduler/run` does. */
const runNow = async () => (await (await fetch(`${stack.apiUrl}/_local/scheduler/run`, { method: 'POST' })).json()) as { due: number; queued: number };

const DUE = () => iso(Date.now() - 1_000);

const SCHEDULES: Array<{ provider: string; ref: () => string; body: () => Record<string, unknown>; callPath: string }> = [
  { provider: 'pressone', ref: () => `s${next()}@example.com`, body: () => ({ cadence: 'P1M', nextRunAt: DUE() }), callPath: '/renew-number/' },
  {
    provider: 'pelcro',
    ref: () => String(next()),
    body: () => ({ cadence: 'P1Y', nextRunAt: DUE(), params: { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'schedule' } }),
    callPath: '/api/v1/core/subscriptions/renew',
  },
  {
    provider: 'punchh',
    ref: () => String(next()),
    body: () => {
      const end = Date.now() - 1_000;
      return { cadence: 'P1M', nextRunAt: iso(end), term: { startTime: iso(end - 30 * 86_400_000), endTime: iso(end) }, params: { purchasePrice: 4.99 } };
    },
    callPath: '/api2/dashboard/subscriptions/renew',
  },
  {
    provider: 'digitalriver',
    ref: () => `sub-${next()}`,
    body: () => ({ operation: 'renewal-quantity', cadence: 'P7D', nextRunAt: DUE(), params: { renewalQuantity: 2 } }),
    callPath: '/renewal-quantity',
  },
];

describe('a schedule due now, for each provider', () => {
  it.each(SCHEDULES)('$provider: renewed once by the next run, moved one cadence ahead; a second run queues nothing', async (spec) => {
    const ref = spec.ref();
    const body = spec.body();
    expect((await put(spec.provider, ref, body)).status).toBe(201);
    const before = await get(spec.provider, ref);
    expect(before.json).toMatchObject({ status: 'active', nextRunAt: new Date(String(body.nextRunAt)).toISOString(), lastRenewal: null });

    const first = await runNow();
    expect(first.queued).toBeGreaterThanOrEqual(1);
    const [renewal] = await waitForRenewals(spec.provider, ref, 1);
    const calls = stack.sandboxes[spec.provider as keyof LocalStack['sandboxes']].calls().filter((c) => c.path.includes(spec.callPath));
    expect(calls).toHaveLength(1);

    const after = await get(spec.provider, ref);
    const cadence = parseDuration(String(body.cadence))!;
    expect(after.json.nextRunAt).toBe(addDuration(new Date(String(body.nextRunAt)), cadence).toISOString());
    expect(after.json.lastRenewal).toMatchObject({ id: renewal?.id, status: expect.stringMatching(/succeeded|accepted/) });

    await runNow();
    expect(await renewalsOf(spec.provider, ref)).toHaveLength(1);
    expect(stack.sandboxes[spec.provider as keyof LocalStack['sandboxes']].calls().filter((c) => c.path.includes(spec.callPath))).toHaveLength(1);
  });

  it('Punchh terms chain: the renewal’s start_time is the previous end_time, its end_time one cadence later', async () => {
    const ref = String(next());
    const end = Date.UTC(2026, 0, 31); // a month end, in the past
    // Due at the end of its term, long ago: the scheduler was down (or the schedule set late).
    await put('punchh', ref, { cadence: 'P1M', nextRunAt: iso(end), term: { startTime: iso(end - 31 * 86_400_000), endTime: iso(end) }, params: { purchasePrice: 3 } });
    // The term after 2026-01-31 that contains now is renewed (one renewal, not one per missed month).
    await runNow();
    const [renewal] = await waitForRenewals('punchh', ref, 1);
    const start = Date.parse(String(renewal?.params.startTime));
    const stop = Date.parse(String(renewal?.params.endTime));
    expect(start).toBeLessThanOrEqual(Date.now());
    expect(stop).toBeGreaterThan(Date.now());
    // Terms are counted from the original end (month ends stay month ends): term k is
    // [end + k months, end + (k+1) months].
    const month = parseDuration('P1M')!;
    let k = 0;
    while (addDuration(new Date(end), month, k).getTime() < start) k++;
    expect(new Date(start).toISOString()).toBe(addDuration(new Date(end), month, k).toISOString());
    expect(new Date(stop).toISOString()).toBe(addDuration(new Date(end), month, k + 1).toISOString());
  });
});

describe('the schedules API', () => {
  it('a leadTime queues the renewal that much before the run; without one, a run not yet due waits; the deadline stays run time + grace', async () => {
    const runTime = iso(Date.now() + 2 * 3_600_000);
    const early = `lead${next()}@example.com`;
    const onTime = `ontime${next()}@example.com`;
    const made = await put('pressone', early, { cadence: 'P1M', nextRunAt: runTime, leadTime: 'PT3H' });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ leadTime: 'PT3H', nextRunAt: runTime });
    expect((await put('pressone', onTime, { cadence: 'P1M', nextRunAt: runTime })).status).toBe(201);

    await runNow();
    const [renewal] = await waitForRenewals('pressone', early, 1);
    expect(await renewalsOf('pressone', onTime)).toEqual([]);
    const record = (await (await fetch(`${stack.apiUrl}/v1/renewals/${renewal?.id ?? ''}`, { headers: readHeaders() })).json()) as { deadline?: string };
    expect(record.deadline).toBe(iso(Date.parse(runTime) + 24 * 3_600_000));
    const after = await get('pressone', early);
    expect(after.json).toMatchObject({ nextRunAt: addDuration(new Date(runTime), parseDuration('P1M')!).toISOString(), lastRenewal: { id: renewal?.id, periodStart: runTime } });
    // The next month's run is not due yet, lead time or not.
    await runNow();
    expect(await renewalsOf('pressone', early)).toHaveLength(1);

    const refused = await put('pressone', `lead${next()}@example.com`, { cadence: 'P1M', nextRunAt: runTime, leadTime: 'P8D' });
    expect(refused).toMatchObject({ status: 422, json: { errors: [{ path: 'leadTime', message: 'must be at most 7 days (P7D)' }] } });
  });

  it('refuses bad schedules naming the field, unsigned writes, and reads without a token', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['pressone', { cadence: 'monthly', nextRunAt: DUE() }, 'cadence'],
      ['pressone', { cadence: 'PT5M', nextRunAt: DUE() }, 'cadence'],
      ['pressone', { cadence: 'P1M' }, 'nextRunAt'],
      ['pelcro', { cadence: 'P1M', nextRunAt: DUE(), params: { api: 'sdk', siteId: 1, planId: 1, customerToken: 'x' } }, 'params.api'],
      ['punchh', { cadence: 'P1M', nextRunAt: DUE(), params: { purchasePrice: 1 } }, 'term'],
      ['digitalriver', { cadence: 'P1M', nextRunAt: DUE(), params: { renewalQuantity: 1 } }, 'operation'],
      ['digitalriver', { operation: 'renewal-quantity', cadence: 'P1M', nextRunAt: DUE(), params: { renewalQuantity: 0 } }, 'params.renewalQuantity'],
      ['acme', { cadence: 'P1M', nextRunAt: DUE() }, 'path.provider'],
      // Valid-looking, but never advanceable (P300000Y is past JavaScript's last date): a 422 when set,
      // not a 500 (Punchh) nor a schedule whose every later run fails (PressOne).
      ['pressone', { cadence: 'P300000Y', nextRunAt: DUE() }, 'cadence'],
      ['punchh', { cadence: 'P300000Y', nextRunAt: DUE(), term: { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' }, params: { purchasePrice: 1 } }, 'cadence'],
      ['pressone', { cadence: 'P1M', nextRunAt: '9999-11-30T00:00:00Z' }, 'cadence'],
      // Numbers DynamoDB cannot store: a 422 naming them, not a 500 from the marshaller or DynamoDB.
      ['punchh', { cadence: 'P1M', nextRunAt: DUE(), term: { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' }, params: { purchasePrice: 1e200 } }, 'params.purchasePrice'],
      ['digitalriver', { operation: 'renewal-price', cadence: 'P1M', nextRunAt: DUE(), params: { renewalUnitPrice: 9007199254740992 } }, 'params.renewalUnitPrice'],
      ['digitalriver', { operation: 'renewal-price', cadence: 'P1M', nextRunAt: DUE(), params: { renewalUnitPrice: 1e-131 } }, 'params.renewalUnitPrice'],
    ];
    for (const [provider, body, field] of cases) {
      const res = await put(provider, `x${next()}`, body);
      expect([400, 422], JSON.stringify(body)).toContain(res.status);
      expect((res.json.errors as Array<{ path: string }>).map((e) => e.path), JSON.stringify(body)).toContain(field);
    }
    const unsigned = await fetch(`${stack.apiUrl}${path('pressone', 'a@example.com')}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unsigned.status).toBe(401);
    expect((await fetch(`${stack.apiUrl}${path('pressone', 'a@example.com')}`)).status).toBe(401);
    expect((await get('pressone', 'nobody@example.com')).status).toBe(404);
    expect(await del('pressone', 'nobody@example.com')).toBe(404);
  });
});

describe('never twice, never skipped', () => {
  it('two scheduler runs at the same moment queue each due renewal once', async () => {
    const refs = Array.from({ length: 20 }, () => `c${next()}@example.com`);
    for (const ref of refs) await put('pressone', ref, { cadence: 'P1M', nextRunAt: DUE() });
    // Two independent schedulers (as two overlapping EventBridge invocations would be).
    const quiet = new Logger({ logLevel: 'SILENT' });
    const a = loadSchedulerDeps(stack.env, { dynamo: stack.dynamo, sqs: stack.sqs }, quiet);
    const b = loadSchedulerDeps(stack.env, { dynamo: stack.dynamo, sqs: stack.sqs }, quiet);
    const now = new Date();
    const [ra, rb] = await Promise.all([runScheduler(a, { now }), runScheduler(b, { now })]);
    expect(ra.queued + rb.queued).toBe(20);
    for (const ref of refs) expect(await waitForRenewals('pressone', ref, 1)).toHaveLength(1);
    for (const ref of refs) expect(stack.sandboxes.pressone.renewalsFor(ref)).toBe(1);
  });

  it('a run that runs out of time leaves the rest due: the next run queues them, each once', async () => {
    const refs = Array.from({ length: 24 }, () => `t${next()}@example.com`);
    for (const ref of refs) await put('pressone', ref, { cadence: 'P1M', nextRunAt: DUE() });
    const deps = loadSchedulerDeps(stack.env, { dynamo: stack.dynamo, sqs: stack.sqs }, new Logger({ logLevel: 'SILENT' }));
    let pages = 0;
    const cut = await runScheduler({ ...deps, pageSize: 2 }, { shouldStop: () => ++pages > 4 });
    expect(cut.stoppedEarly).toBe(true);
    expect(cut.queued).toBeGreaterThan(0);
    expect(cut.queued).toBeLessThan(24);
    const rest = await runScheduler(deps);
    expect(cut.queued + rest.queued).toBe(24);
    for (const ref of refs) expect(await waitForRenewals('pressone', ref, 1)).toHaveLength(1);
    for (const ref of refs) expect(stack.sandboxes.pressone.renewalsFor(ref)).toBe(1);
  });

  it('a run that died between queueing and advancing: the next run finds the renewal and advances, renewing once', async () => {
    const ref = `d${next()}@example.com`;
    await put('pressone', ref, { cadence: 'P1M', nextRunAt: DUE() });
    // The dead run queued this period's renewal and stopped before advancing the schedule.
    const schedules = new ScheduleStore(stack.dynamo, stack.tableName);
    const s = (await schedules.get('pressone', ref))!;
    const deps = loadSchedulerDeps(stack.env, { dynamo: stack.dynamo, sqs: stack.sqs }, new Logger({ logLevel: 'SILENT' }));
    const k = currentRunIndex(s, new Date());
    await deps.accept(renewalRequestFor(s, k), scheduledKey(s, k));
    await runNow();
    expect(await waitForRenewals('pressone', ref, 1)).toHaveLength(1);
    expect((await get('pressone', ref)).json.lastRenewal).not.toBeNull();
    expect(stack.sandboxes.pressone.renewalsFor(ref)).toBe(1);
  });

  it('several periods behind (an outage): renewed once, for the current period', async () => {
    const ref = `o${next()}@example.com`;
    const threeMonthsAgo = addDuration(new Date(), parseDuration('P1M')!, -3);
    await put('pressone', ref, { cadence: 'P1M', nextRunAt: threeMonthsAgo.toISOString() });
    await runNow();
    await runNow();
    expect(await waitForRenewals('pressone', ref, 1)).toHaveLength(1);
    const view = (await get('pressone', ref)).json;
    expect(Date.parse(String(view.nextRunAt))).toBeGreaterThan(Date.now());
    expect(Date.parse(String(view.nextRunAt))).toBeLessThanOrEqual(addDuration(new Date(), parseDuration('P1M')!).getTime());
  });

  it('a cancelled schedule is never renewed again', async () => {
    const ref = `x${next()}@example.com`;
    await put('pressone', ref, { cadence: 'P1M', nextRunAt: iso(Date.now() + 60_000) });
    expect(await del('pressone', ref)).toBe(204);
    expect((await get('pressone', ref)).json).toMatchObject({ status: 'cancelled', nextRunAt: null });
    await runNow();
    // Even once its time has long passed.
    const far = loadSchedulerDeps(stack.env, { dynamo: stack.dynamo, sqs: stack.sqs }, new Logger({ logLevel: 'SILENT' }));
    await runScheduler(far, { now: new Date(Date.now() + 400 * 86_400_000) });
    await new Promise((r) => setTimeout(r, 500));
    expect(await renewalsOf('pressone', ref)).toHaveLength(0);
  });

  it('a paused schedule is not renewed; resumed, it renews once', async () => {
    const ref = `p${next()}@example.com`;
    const body = { cadence: 'P1M', nextRunAt: DUE() };
    await put('pressone', ref, { ...body, status: 'paused' });
    expect((await get('pressone', ref)).json).toMatchObject({ status: 'paused', nextRunAt: null });
    await runNow();
    await new Promise((r) => setTimeout(r, 300));
    expect(await renewalsOf('pressone', ref)).toHaveLength(0);
    expect((await put('pressone', ref, { ...body, status: 'active' })).status).toBe(200);
    await runNow();
    await runNow();
    expect(await waitForRenewals('pressone', ref, 1)).toHaveLength(1);
    // Paused and resumed again with the same period: still one renewal for it.
    await put('pressone', ref, { ...body, status: 'paused' });
    await put('pressone', ref, { ...body, status: 'active' });
    await runNow();
    await new Promise((r) => setTimeout(r, 500));
    expect(await renewalsOf('pressone', ref)).toHaveLength(1);
    expect(stack.sandboxes.pressone.renewalsFor(ref)).toBe(1);
  });

  it('a webhook renewal and a scheduled renewal of the same Punchh term call Punchh once', async () => {
    const ref = String(next());
    const end = Date.now() - 1_000;
    const term = { startTime: iso(end - 30 * 86_400_000), endTime: iso(end) };
    const nextTerm = { start_time: iso(end), end_time: addDuration(new Date(end), parseDuration('P1M')!).toISOString() };
    // The upstream renews the next term by webhook…
    const raw = JSON.stringify({ subscription_id: Number(ref), ...nextTerm, purchase_price: 4.99 });
    const hook = await fetch(`${stack.apiUrl}/v1/providers/punchh/subscriptions/renew`, { method: 'POST', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', raw), body: raw });
    expect(hook.status).toBe(202);
    await waitForRenewals('punchh', ref, 1);
    // …and the schedule comes due for the same term.
    await put('punchh', ref, { cadence: 'P1M', nextRunAt: iso(end), term, params: { purchasePrice: 4.99 } });
    await runNow();
    const items = await waitForRenewals('punchh', ref, 2);
    expect(items.filter((i) => i.duplicateOf)).toHaveLength(1);
    expect(stack.sandboxes.punchh.calls().filter((c) => c.path.includes('/subscriptions/renew'))).toHaveLength(1);
  });
});

describe('storage', () => {
  it('keeps paused and cancelled schedules out of the due index (it is sparse)', async () => {
    // One schedule in each state, made here, so the check cannot pass for want of one.
    const future = iso(Date.now() + 86_400_000);
    const refs = { active: `sparse-active-${next()}@example.com`, paused: `sparse-paused-${next()}@example.com`, cancelled: `sparse-cancelled-${next()}@example.com` };
    for (const ref of Object.values(refs)) expect((await put('pressone', ref, { cadence: 'P1M', nextRunAt: future })).status).toBe(201);
    expect((await put('pressone', refs.paused, { cadence: 'P1M', nextRunAt: future, status: 'paused' })).status).toBe(200);
    expect(await del('pressone', refs.cancelled)).toBe(204);

    const out = await stack.dynamo.send(new ScanCommand({ TableName: stack.tableName }));
    const schedules = (out.Items ?? []).map((i) => unmarshall(i)).filter((i) => String(i.pk).startsWith('SCHEDULE#'));
    const mine = Object.fromEntries(
      Object.entries(refs).map(([state, ref]) => [state, schedules.find((i) => String(i.pk).endsWith(ref))] as const),
    );
    expect(mine.active).toMatchObject({ status: 'active' });
    expect(mine.paused).toMatchObject({ status: 'paused' });
    expect(mine.cancelled).toMatchObject({ status: 'cancelled' });
    expect('gsi2pk' in (mine.active ?? {})).toBe(true);
    expect('gsi2pk' in (mine.paused ?? {})).toBe(false);
    expect('gsi2pk' in (mine.cancelled ?? {})).toBe(false);
    // And across everything the file left behind: only active schedules carry the index keys.
    for (const item of schedules) expect('gsi2pk' in item, `${item.pk} ${item.status}`).toBe(item.status === 'active');
  });
});

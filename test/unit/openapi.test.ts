/**
 * openapi.json is generated from the schemas that validate requests (openapi/build.ts) and must
 * stay so: it is what is checked in, it covers every route of the system description, and every
 * example in it is accepted by the same checks the handlers run. Response shapes are checked
 * against what the code that builds responses returns.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { buildOpenApi, routeDocs, serialize } from '../../openapi/build';
import { AcceptedSchema, ProblemSchema, RenewalListSchema, RenewalSchema, ScheduleSchema } from '../../openapi/schemas';
import { ROUTES, routeKey } from '../../shared/system';
import { newRenewalRecord, toResource, type RenewalRecord } from '../../shared/domain/renewal';
import { scheduleFromRequest, toScheduleResource } from '../../shared/domain/schedule';
import { notFound, unprocessable } from '../../shared/http/problem';

const checkedIn = readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8');

describe('openapi.json', () => {
  it('is what `npm run openapi` generates from the schemas (run it after changing a route or schema)', async () => {
    expect(serialize(await buildOpenApi())).toBe(checkedIn);
  });

  it('describes every route of the system description, and nothing else', () => {
    const doc = JSON.parse(checkedIn) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('is OpenAPI 3.1 with JSON Schema 2020-12, every operation named once', () => {
    const doc = JSON.parse(checkedIn) as { openapi: string; jsonSchemaDialect: string; paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('every documented example', () => {
  it('of a request body is accepted by the schema and the checks its handler runs', async () => {
    const docs = await routeDocs();
    let checked = 0;
    for (const [key, doc] of docs) {
      if (!doc.body) continue;
      for (const [name, example] of Object.entries(doc.body.examples)) {
        const parsed = z.safeParse(doc.body.schema, example);
        expect(parsed.success ? [] : parsed.error.issues, `${key} example ${name}: schema`).toEqual([]);
        expect(await doc.body.check?.(example), `${key} example ${name}: the handler's checks`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(ROUTES.filter((r) => r.method === 'POST' || r.method === 'PUT').length);
  });

  it('that is wrong is reported naming the field (the check above can fail)', async () => {
    const docs = await routeDocs();
    const canonical = docs.get('POST /v1/renewals')?.body;
    expect(await canonical?.check?.({ provider: 'punchh', operation: 'renew', subscription: '40', params: { purchasePrice: 1 } })).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'params.startTime' })]),
    );
    const punchh = docs.get('POST /v1/providers/punchh/subscriptions/renew')?.body;
    expect(await punchh?.check?.({ subscription_id: 40 })).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'start_time' })]));
  });

  it('of a response matches its schema', async () => {
    const docs = await routeDocs();
    let checked = 0;
    for (const [key, doc] of docs) {
      for (const [status, r] of Object.entries(doc.responses)) {
        if (r.example === undefined || !r.schema) continue;
        const parsed = r.schema.safeParse(r.example);
        expect(parsed.success ? [] : parsed.error.issues, `${key} ${status} example`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('the response schemas', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const queued = newRenewalRecord({ provider: 'punchh', operation: 'renew', subscription: '40', params: { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 } }, 'k-1', now);

  it('match the renewal resource the status route returns, before and after attempts', () => {
    const ended: RenewalRecord = {
      ...queued,
      status: 'needs_attention',
      statusReason: 'Punchh refused the business admin key',
      attempts: [{ number: 1, startedAt: now.toISOString(), latencyMs: 120, httpStatus: 401, errorClass: 'auth', message: 'Unauthorized' }],
    };
    for (const r of [queued, ended]) expect(RenewalSchema.safeParse(toResource(r)).error?.issues ?? []).toEqual([]);
    expect(RenewalListSchema.safeParse({ items: [toResource(queued)], nextCursor: null }).success).toBe(true);
    expect(AcceptedSchema.safeParse({ id: queued.id, status: queued.status, idempotencyKey: queued.idempotencyKey }).success).toBe(true);
    // And can fail: a status the schema does not know.
    expect(RenewalSchema.safeParse({ ...toResource(queued), status: 'lost' }).success).toBe(false);
  });

  it('match the renewal resource with operator history and waitingFor, and a cancelled one', () => {
    const retried: RenewalRecord = {
      ...queued,
      history: [{ action: 'retry', by: 'alice', at: now.toISOString(), note: 'checked at Punchh', fromStatus: 'needs_attention', toStatus: 'queued', providerState: 'not_renewed', attemptCount: 1, bulk: true }],
    };
    const waiting = toResource(retried, { reason: 'provider_paused', until: '2026-12-01T00:10:00.000Z', detail: 'auth refused' });
    const cancelled = toResource({ ...retried, status: 'cancelled', history: [...(retried.history ?? []), { action: 'cancel', by: 'bob', at: now.toISOString(), note: 'closed', fromStatus: 'queued', toStatus: 'cancelled', attemptCount: 1 }] });
    for (const r of [waiting, cancelled]) expect(RenewalSchema.safeParse(r).error?.issues ?? []).toEqual([]);
    expect(RenewalSchema.safeParse({ ...waiting, waitingFor: { reason: 'lunch', until: now.toISOString() } }).success).toBe(false);
  });

  it('match the schedule resource, for a Punchh term schedule and a cancelled one', async () => {
    const set = await scheduleFromRequest('punchh', '40', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { purchasePrice: 9.99 }, term: { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' } }, now);
    if (!set.ok) throw new Error(JSON.stringify(set.errors));
    const withLast = { ...set.value, lastRenewalId: queued.id, lastPeriodStart: now.toISOString(), lastRunAt: now.toISOString() };
    for (const s of [toScheduleResource(set.value), toScheduleResource(withLast, { id: queued.id, status: 'queued' }), toScheduleResource({ ...set.value, status: 'cancelled' })]) {
      expect(ScheduleSchema.safeParse(s).error?.issues ?? []).toEqual([]);
    }
  });

  it('match the problem documents errors become', () => {
    expect(ProblemSchema.safeParse(unprocessable([{ path: 'email', message: 'is required' }]).toProblem()).success).toBe(true);
    expect(ProblemSchema.safeParse(notFound('No renewal.').toProblem('req-1')).success).toBe(true);
  });
});

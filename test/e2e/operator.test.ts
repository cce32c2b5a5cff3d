/**
 * Operators on the local stack (issue 10's "what it must show"): a PressOne renewal refused with
 * 401 is found in the inbox, the provider shows paused with the reason, resume lifts it and the
 * renewal it held goes ahead, resolve ends the first with the note and the operator's name; an
 * ambiguous Pelcro renewal is retried only with `providerState`; a Punchh term held by a
 * needs_attention renewal is released by cancel and a new renewal of it goes through; dead letters
 * are listed and redriven; read tokens get 403 on every action; the CLI's tables and exit codes.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListMessageMoveTasksCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../local/stack';
import { startTestStack } from '../support/stack';
import { signedHeaders } from '../../local/webhook-client';
import { runOps, EXIT } from '../../local/ops';
import { ROUTES, routeKey } from '../../shared/system';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { newRenewalRecord } from '../../shared/domain/renewal';
import { messageOf } from '../../shared/operator/actions';
import { freePort } from '../../local/ports';

let stack: LocalStack;
let n = 0;

beforeAll(async () => {
  // A long pause (10 minutes), so only the operator's resume can end it within the test.
  stack = await startTestStack('ops-e2e', { pollWaitSeconds: 1, env: { AUTH_FAILURE_PAUSE_SECONDS: '600' } });
});
afterAll(async () => {
  await stack?.stop();
});

type Json = Record<string, unknown>;
type Renewal = Json & { id: string; status: string; history: Json[]; attempts: Json[]; waitingFor?: Json; duplicateOf?: string };

const operatorToken = () => (stack.env.RENEWALS_OPERATOR_TOKENS ?? '').split('=')[1] ?? '';
const readToken = () => stack.env.RENEWALS_READ_TOKENS ?? '';

const signed = async (path: string, body: Json, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  const res = await fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { ...signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', text), ...headers }, body: text });
  return { status: res.status, json: (await res.json()) as Json };
};
const api = async (method: 'GET' | 'POST', path: string, body?: Json, token = operatorToken()) => {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Json };
};
const renewal = async (id: string) => (await api('GET', `/v1/renewals/${id}`, undefined, readToken())).json as Renewal;

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
const waitForStatus = (id: string, statuses: readonly string[], timeoutMs = 30_000) =>
  waitFor(`${id} to be ${statuses.join('|')}`, async () => {
    const r = await renewal(id);
    return statuses.includes(r.status) ? r : undefined;
  }, timeoutMs);

const cli = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...argv, ...(argv.includes('--url') ? [] : ['--url', stack.apiUrl])], {
    env: { RENEWALS_OPERATOR_TOKENS: stack.env.RENEWALS_OPERATOR_TOKENS },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

describe('operators on the local stack', () => {
  it('PressOne 401: in the inbox, provider paused with the reason, resume lets the held renewal go ahead, resolve ends it with the note and the operator’s name', async () => {
    stack.sandboxes.pressone.injectFaults({ kind: 'status', status: 401, body: { message: 'Invalid API key', success: false, data: null } });
    const first = await signed('/v1/providers/pressone/renew-number', { email: `refused${++n}@example.com` });
    expect(first.status).toBe(202);
    const refusedId = String(first.json.id);
    await waitForStatus(refusedId, ['needs_attention']);

    const inbox = await api('GET', '/v1/renewals?status=needs_attention&provider=pressone', undefined, readToken());
    expect((inbox.json.items as Renewal[]).map((r) => r.id)).toContain(refusedId);

    const providers = await api('GET', '/v1/providers', undefined, readToken());
    const pressone = (providers.json.items as Json[]).find((p) => p.provider === 'pressone');
    expect(pressone?.pause).toMatchObject({ until: expect.any(String), reason: expect.stringMatching(/authentication or configuration problem/) });
    expect(pressone?.lastFailureAt).toEqual(expect.any(String));
    const table = await cli('providers');
    expect(table.code).toBe(EXIT.ok);
    expect(table.out).toMatch(/pressone\s+until \S+: authentication/);

    // A renewal sent now waits for the pause, and says so.
    const held = await signed('/v1/providers/pressone/renew-number', { email: `held${++n}@example.com` });
    const heldId = String(held.json.id);
    const waiting = await waitFor('the held renewal to show waitingFor', async () => {
      const r = await renewal(heldId);
      return r.waitingFor ? r : undefined;
    });
    expect(waiting).toMatchObject({ status: 'queued', waitingFor: { reason: 'provider_paused', until: expect.any(String) } });
    expect(stack.sandboxes.pressone.renewalsFor(`held${n}@example.com`)).toBe(0);

    const resumed = await cli('resume', 'pressone', '--note', 'rotated the PressOne key');
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    expect(resumed.out).toMatch(/pressone\s+no/);
    // The resume sends the renewals the pause held again at once: they go ahead within a minute.
    await waitForStatus(heldId, ['succeeded'], 60_000);

    const resolved = await cli('resolve', refusedId, '--outcome', 'succeeded', '--note', 'renewed by hand in the PressOne dashboard');
    expect(resolved.code, resolved.err).toBe(EXIT.ok);
    expect(resolved.out).toMatch(/resolve succeeded\s+local-operator/);
    const done = await renewal(refusedId);
    expect(done.status).toBe('succeeded');
    expect(done.history).toEqual([expect.objectContaining({ action: 'resolve', by: 'local-operator', note: 'renewed by hand in the PressOne dashboard', outcome: 'succeeded' })]);
    const after = await cli('inbox', '--status', 'needs_attention', '--provider', 'pressone');
    expect(after.out).not.toContain(refusedId);
  }, 240_000);

  it('an ambiguous Pelcro renewal cannot be retried without providerState, and can with it', async () => {
    const sub = 800 + ++n;
    const path = '/api/v1/core/subscriptions/renew';
    stack.sandboxes.pelcro.injectFaults({ kind: 'status', status: 502, path });
    const res = await signed('/v1/providers/pelcro/core/subscriptions/renew?site_id=1&user_id=55', { subscription_id: sub, plan_id: 7, quantity: 1, source: 'API' });
    const id = String(res.json.id);
    const stuck = await waitForStatus(id, ['needs_attention']);
    expect(stuck.attempts.at(-1)).toMatchObject({ errorClass: 'ambiguous' });

    const refused = await cli('retry', id, '--note', 'looks fine');
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.err).toMatch(/409.*providerState/s);
    expect((await renewal(id)).status).toBe('needs_attention');

    const retried = await cli('retry', id, '--note', 'Pelcro shows no renewal', '--provider-state', 'not_renewed');
    expect(retried.code, retried.err).toBe(EXIT.ok);
    const done = await waitForStatus(id, ['succeeded', 'failed', 'needs_attention']);
    expect(done.status).toBe('succeeded');
    expect(done.history).toEqual([expect.objectContaining({ action: 'retry', by: 'local-operator', providerState: 'not_renewed' })]);
  });

  it('a Punchh term held by a needs_attention renewal is released by cancel, and a new renewal of it goes through', async () => {
    const term = { subscription_id: 900 + ++n, start_time: '2031-03-01T00:00:00Z', end_time: '2031-04-01T00:00:00Z', purchase_price: 9.99 };
    const path = '/api2/dashboard/subscriptions/renew';
    stack.sandboxes.punchh.injectFaults({ kind: 'status', status: 500, path });
    const first = String((await signed('/v1/providers/punchh/subscriptions/renew', term, { 'idempotency-key': `punchh-a-${n}` })).json.id);
    await waitForStatus(first, ['needs_attention']);
    // The term is held: another renewal of it stops, pointing at the first.
    const second = String((await signed('/v1/providers/punchh/subscriptions/renew', term, { 'idempotency-key': `punchh-b-${n}` })).json.id);
    const blocked = await waitForStatus(second, ['needs_attention', 'succeeded']);
    expect(blocked).toMatchObject({ status: 'needs_attention', duplicateOf: first });

    const cancelled = await cli('cancel', first, '--note', 'Punchh support confirmed nothing was renewed');
    expect(cancelled.code, cancelled.err).toBe(EXIT.ok);
    expect((await renewal(first)).status).toBe('cancelled');

    const third = String((await signed('/v1/providers/punchh/subscriptions/renew', term, { 'idempotency-key': `punchh-c-${n}` })).json.id);
    const done = await waitForStatus(third, ['succeeded', 'failed', 'needs_attention']);
    expect(done.status).toBe('succeeded');
    expect(done.duplicateOf).toBeUndefined();
  });

  it('read tokens get 403 on every action, and bad input a 4xx naming the field', async () => {
    const id = `rnw_${'a'.repeat(26)}`;
    for (const route of ROUTES.filter((r) => r.auth === 'operator-token')) {
      const path = route.path.replace('{id}', id).replace('{provider}', 'pressone');
      const res = await api(route.method as 'GET' | 'POST', path, route.method === 'POST' ? { note: 'x' } : undefined, readToken());
      expect(res.status, routeKey(route)).toBe(403);
    }
    const noNote = await api('POST', `/v1/renewals/${id}/cancel`, {});
    expect(noNote.status).toBe(422);
    expect(noNote.json.errors).toEqual([expect.objectContaining({ path: 'note' })]);
    const notJson = await fetch(`${stack.apiUrl}/v1/renewals/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken()}`, 'content-type': 'application/json' }, body: '{note' });
    expect(notJson.status).toBe(400);
    const text = await fetch(`${stack.apiUrl}/v1/renewals/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken()}`, 'content-type': 'text/plain' }, body: 'cancel it' });
    expect(text.status).toBe(415);
  });

  it('GET /openapi.json serves the checked-in description to anyone, with or without a token', async () => {
    const checkedIn = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as unknown;
    const variants: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }, { authorization: `Bearer ${operatorToken()}` }];
    for (const headers of variants) {
      const res = await fetch(`${stack.apiUrl}/openapi.json`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(checkedIn);
    }
    // Only GET: the route is read-only.
    expect((await fetch(`${stack.apiUrl}/openapi.json`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('the CLI: exit 1 when refused, 2 on usage, 3 when the gateway cannot be reached', async () => {
    expect((await cli('show', `rnw_${'b'.repeat(26)}`)).code).toBe(EXIT.refused);
    expect((await cli('retry', `rnw_${'b'.repeat(26)}`)).code).toBe(EXIT.usage);
    expect((await cli('frobnicate')).code).toBe(EXIT.usage);
    expect((await cli('inbox', '--bogus')).code).toBe(EXIT.usage);
    expect((await cli('providers', '--url', `http://127.0.0.1:${await freePort()}`)).code).toBe(EXIT.unavailable);
    const inbox = await cli('inbox', '--limit', '5');
    expect(inbox.code).toBe(EXIT.ok);
    expect(inbox.out.split('\n')[0]).toMatch(/^id\s+provider\s+status\s+created/);
  });

  it('a message in a dead-letter queue is listed, redriven, and its renewal completes', async (ctx) => {
    // The renewal exists only as a record and a dead letter (its deliveries failed 5 times).
    const records = new RenewalRecords(stack.dynamo, stack.tableName);
    const record = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: `dead${++n}@example.com`, params: {} }, `dlq-${n}-${Date.now()}`, new Date());
    await records.create(record);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queues.pressone.dlqUrl, MessageBody: JSON.stringify(messageOf(record)) }));
    const listed = await cli('dead-letters', 'pressone');
    expect(listed.code, listed.err).toBe(EXIT.ok);
    expect(listed.out).toContain(record.id);
    expect((await renewal(record.id)).status).toBe('queued');

    const supported = await stack.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: stack.queues.pressone.dlqArn })).then(
      () => true,
      () => false,
    );
    if (!supported) {
      console.warn('SKIPPED: the local SQS endpoint does not implement message move tasks yet (branch sqsmove); the redrive half of this test runs after that merge');
      ctx.skip();
    }
    const redriven = await cli('redrive', 'pressone', '--note', 'PressOne outage over');
    expect(redriven.code, redriven.err).toBe(EXIT.ok);
    expect(redriven.out).toMatch(/redrive started: task \S+/);
    await waitForStatus(record.id, ['succeeded'], 60_000);
    expect((await cli('dead-letters', 'pressone')).out).not.toContain(record.id);
  });
});

/**
 * Push delivery end to end on the local stack: receivers (the `npm run ops -- listen` receiver,
 * local/listen.ts) registered as endpoints get a renewal's retry_scheduled and succeeded events,
 * in order, signed the Standard Webhooks way (checked again here with the standardwebhooks
 * library), and dedupe a redelivery by webhook-id; a receiver that is down gets the events once it
 * is back; replay re-sends; a rotated secret verifies beside the new one; read tokens get 403;
 * bad input gets a 4xx naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { LocalStack } from '../../local/stack';
import { startTestStack } from '../support/stack';
import { signedHeaders } from '../../local/webhook-client';
import { startDynamoLocal, type DynamoLocal } from '../../local/dynamo';
import { freePort } from '../../local/ports';
import { startListener, type Listener } from '../../local/listen';
import { runOps } from '../../local/ops';
import { ROUTES } from '../../shared/system';

let stack: LocalStack;
let dynamo: DynamoLocal | undefined;
const listeners: Listener[] = [];

// Its own DynamoDB Local, as test/e2e/events.test.ts explains (the shared one's streams in full runs).
beforeAll(async () => {
  dynamo = await startDynamoLocal({ port: await freePort() });
  stack = await startTestStack('e2e-push', {
    pollWaitSeconds: 1,
    dynamoEndpoint: dynamo.endpoint,
    // Short waits, so a receiver that is down for seconds is retried within the test.
    env: { RETRY_BASE_DELAY_MS: '200', DELIVERY_RETRY_SCHEDULE_SECONDS: '1,1,1,2,2,2,2,2,2,2,2,2', DELIVERY_TIMEOUT_MS: '5000' },
  });
}, 180_000);
afterAll(async () => {
  for (const l of listeners) await l.stop().catch(() => undefined);
  await stack?.stop();
  await dynamo?.stop();
});

type Json = Record<string, unknown>;
const operatorToken = () => (stack.env.RENEWALS_OPERATOR_TOKENS ?? '').split('=')[1] ?? '';
const readToken = () => stack.env.RENEWALS_READ_TOKENS ?? '';
const api = async (method: string, path: string, body?: unknown, token = operatorToken()) => {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Json, text };
};
const listen = async (port = 0, seen?: Set<string>) => {
  const l = await startListener({ port, secrets: [], ...(seen ? { seen } : {}) });
  listeners.push(l);
  return l;
};
const register = async (listener: Listener, types?: string[]) => {
  const res = await api('POST', '/v1/event-endpoints', { url: listener.url, description: 'e2e', ...(types ? { types } : {}) });
  expect(res.status, res.text).toBe(201);
  const secret = String(res.json.secret);
  listener.setSecrets([secret]);
  return { id: String(res.json.id), secret };
};
const renew = async (email: string): Promise<string> => {
  const body = JSON.stringify({ email });
  const res = await fetch(`${stack.apiUrl}/v1/providers/pressone/renew-number`, { method: 'POST', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', body), body });
  expect(res.status).toBe(202);
  return String(((await res.json()) as { id: string }).id);
};
/** Waits (generous deadline: a loaded machine) until `done`. */
const until = async (what: string, done: () => boolean | Promise<boolean>, ms = 150_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
const typesFor = (l: Listener, renewalId: string) => l.events.filter((e) => e.data.id === renewalId).map((e) => e.type);
const verifies = (secret: string, d: { id: string; timestamp: string; signature: string; body: string }): boolean => {
  try {
    new Webhook(secret).verify(d.body, { 'webhook-id': d.id, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature });
    return true;
  } catch {
    return false;
  }
};

describe('push delivery on the local stack', () => {
  it('delivers retry_scheduled then succeeded, signed; dedupes a redelivery by webhook-id; replay re-sends; a rotated secret verifies during the overlap', async () => {
    const receiver = await listen();
    const { id: endpointId, secret } = await register(receiver);
    const start = new Date().toISOString();
    stack.sandboxes.pressone.injectFaults({ kind: 'status', status: 503, count: 1 });
    const renewalId = await renew(`push-retry.${Date.now()}@example.com`);
    await until('the succeeded event', () => typesFor(receiver, renewalId).includes('renewal.succeeded'));
    // In order: the retry before the success (renewal.queued arrives too, this endpoint takes every type).
    expect(typesFor(receiver, renewalId).filter((t) => t !== 'renewal.queued')).toEqual(['renewal.retry_scheduled', 'renewal.succeeded']);
    expect(typesFor(receiver, renewalId)).toContain('renewal.queued');
    const succeeded = receiver.events.find((e) => e.data.id === renewalId && e.type === 'renewal.succeeded');
    expect(succeeded?.data).toMatchObject({ id: renewalId, status: 'succeeded', attemptCount: 2, lastErrorClass: 'success' });
    // Signed with the endpoint's secret (checked again here, apart from the receiver), webhook-id = event id.
    const mine = receiver.deliveries.filter((d) => (JSON.parse(d.body) as { data: { id: string } }).data.id === renewalId);
    for (const d of mine) {
      expect(verifies(secret, d)).toBe(true);
      expect(d.id).toBe((JSON.parse(d.body) as { id: string }).id);
    }
    expect(verifies('whsec_' + Buffer.alloc(24, 7).toString('base64'), mine[0] ?? { id: '', timestamp: '', signature: '', body: '' })).toBe(false);

    // The attempts are recorded: event, time, status code, latency.
    const deliveries = await api('GET', `/v1/event-endpoints/${endpointId}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.json.items).toEqual(expect.arrayContaining([expect.objectContaining({ eventId: succeeded?.id, statusCode: 204, outcome: 'delivered', error: null, latencyMs: expect.any(Number) })]));

    // Rotation: the answer has the new secret; deliveries carry both signatures for 24 h.
    const rotated = await api('POST', `/v1/event-endpoints/${endpointId}/rotate-secret`);
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = String(rotated.json.secret);
    expect(fresh).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(fresh).not.toBe(secret);
    receiver.setSecrets([fresh]);

    // Replay re-sends the same events (same webhook-id): the receiver answers them as duplicates.
    const before = receiver.deliveries.length;
    const replay = await api('POST', `/v1/event-endpoints/${endpointId}/replay`, { since: start });
    expect(replay.status, replay.text).toBe(202);
    expect(Number(replay.json.queued)).toBeGreaterThanOrEqual(3);
    await until('the replayed events', () => receiver.deliveries.slice(before).filter((d) => d.body.includes(renewalId)).length >= 3);
    const replayed = receiver.deliveries.slice(before).filter((d) => d.body.includes(renewalId));
    for (const d of replayed) {
      expect(d.duplicate).toBe(true);
      // Both the new and the old secret verify during the overlap.
      expect(verifies(fresh, d)).toBe(true);
      expect(verifies(secret, d)).toBe(true);
      expect(d.signature.split(' ')).toHaveLength(2);
    }
    // Handled once each, whatever was redelivered.
    expect(typesFor(receiver, renewalId).sort()).toEqual(['renewal.queued', 'renewal.retry_scheduled', 'renewal.succeeded']);

    // GET shows the secrets masked, never whole.
    const shown = await api('GET', `/v1/event-endpoints/${endpointId}`);
    expect(shown.status).toBe(200);
    expect(shown.text).not.toContain(secret);
    expect(shown.text).not.toContain(fresh);
    expect(shown.json.secrets).toEqual([expect.objectContaining({ active: true, expiresAt: null }), expect.objectContaining({ active: true, expiresAt: expect.any(String) })]);
    const listed = await api('GET', '/v1/event-endpoints');
    expect(listed.text).not.toContain(fresh);
    expect((listed.json.items as Json[]).map((e) => e.id)).toContain(endpointId);
  }, 240_000);

  it('a receiver that is down gets the events once it is back; a deleted endpoint gets nothing more', async () => {
    const first = await listen();
    const { id: endpointId, secret } = await register(first, ['renewal.succeeded']);
    const port = first.port;
    await first.stop();
    const renewalId = await renew(`push-down.${Date.now()}@example.com`);
    // Failed attempts (nobody listening) are recorded and retried.
    await until('a failed attempt', async () => {
      const res = await api('GET', `/v1/event-endpoints/${endpointId}/deliveries`);
      return (res.json.items as Json[]).some((a) => a.outcome === 'retry' && a.statusCode === null);
    });
    const back = await listen(port);
    back.setSecrets([secret]);
    await until('the event after the receiver came back', () => typesFor(back, renewalId).includes('renewal.succeeded'));
    // Only the type it asked for.
    expect(typesFor(back, renewalId)).toEqual(['renewal.succeeded']);
    const attempts = (await api('GET', `/v1/event-endpoints/${endpointId}/deliveries`)).json.items as Json[];
    const forEvent = attempts.filter((a) => a.eventId === back.events[0]?.id);
    expect(forEvent.some((a) => a.outcome === 'retry' && typeof a.error === 'string')).toBe(true);
    expect(forEvent.some((a) => a.outcome === 'delivered' && a.statusCode === 204)).toBe(true);

    expect((await api('DELETE', `/v1/event-endpoints/${endpointId}`)).status).toBe(204);
    expect((await api('GET', `/v1/event-endpoints/${endpointId}`)).status).toBe(404);
  }, 240_000);

  it('npm run ops -- listen registers itself, prints the events it verifies, and deletes its endpoint when stopped', async () => {
    const lines: string[] = [];
    let renewalId = '';
    const code = await runOps(['listen', '--url', stack.apiUrl, '--types', 'renewal.succeeded'], {
      env: { RENEWALS_OPERATOR_TOKEN: operatorToken() },
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      untilStopped: async (listener) => {
        renewalId = await renew(`push-listen.${Date.now()}@example.com`);
        await until('the listener to print the event', () => listener.events.some((e) => e.data.id === renewalId));
      },
    });
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.some((l) => l.includes('renewal.succeeded') && l.includes(renewalId))).toBe(true);
    const id = /event endpoint (ep_[0-9a-f]+)/.exec(lines.join('\n'))?.[1];
    expect(id).toBeDefined();
    expect(lines).toContain(`deleted event endpoint ${id}`);
    expect((await api('GET', `/v1/event-endpoints/${id}`)).status).toBe(404);
  }, 240_000);

  it('read tokens get 403; bad input gets a 4xx naming the field and changes nothing', async () => {
    const id = `ep_${'0'.repeat(26)}`;
    for (const route of ROUTES.filter((r) => r.path.startsWith('/v1/event-endpoints'))) {
      expect(route.auth).toBe('operator-token');
      const res = await api(route.method, route.path.replace('{id}', id), route.method === 'POST' ? { url: 'https://example.com/hook' } : undefined, readToken());
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
    }
    const count = async () => ((await api('GET', '/v1/event-endpoints')).json.items as Json[]).length;
    const before = await count();
    for (const [body, path] of [
      [{}, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'https://example.com/hook', types: ['failed'] }, 'types.0'],
      [{ url: 'https://example.com/hook', types: [] }, 'types'],
      [{ url: 'https://example.com/hook', description: 'x'.repeat(501) }, 'description'],
      [{ url: 'https://example.com/hook', secret: 'whsec_mine' }, 'secret'],
    ] as const) {
      const res = await api('POST', '/v1/event-endpoints', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((res.json.errors as Array<{ path: string }>).map((e) => e.path), JSON.stringify(body)).toContain(path);
    }
    expect(await count()).toBe(before);
    expect((await api('GET', `/v1/event-endpoints/${id}`)).status).toBe(404);
    expect((await api('GET', '/v1/event-endpoints/nope')).status).toBe(404);

    const receiver = await listen();
    const { id: real } = await register(receiver);
    for (const [body, path] of [
      [{}, 'since'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: new Date(Date.now() + 3_600_000).toISOString() }, 'since'],
    ] as const) {
      const res = await api('POST', `/v1/event-endpoints/${real}/replay`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((res.json.errors as Array<{ path: string }>).map((e) => e.path)).toContain(path);
    }
    const badLimit = await api('GET', `/v1/event-endpoints/${real}/deliveries?limit=0`);
    expect(badLimit.status).toBe(400);
    expect((badLimit.json.errors as Array<{ path: string }>).map((e) => e.path)).toContain('query.limit');
    expect((await api('DELETE', `/v1/event-endpoints/${real}`)).status).toBe(204);
  }, 120_000);
});

/**
 * Events end to end on the local stack: a renewal that is retried then succeeds yields
 * renewal.queued, renewal.retry_scheduled and renewal.succeeded on GET /v1/events, in order; a
 * poller following nextCursor while renewals are processed concurrently sees each event once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { startTestStack } from '../support/stack';
import { signedHeaders } from '../../local/webhook-client';
import { startDynamoLocal, type DynamoLocal } from '../../local/dynamo';
import { freePort } from '../../local/ports';

let stack: LocalStack;
let dynamo: DynamoLocal | undefined;

// Its own DynamoDB Local, not the run's shared one: in full runs (every stack's table has a stream
// by then, dozens of them) the shared instance's stream gave this stack no records at all, while
// the same file passed alone, with the e2e files and with the integration files. Not understood
// yet (docs/architecture.md#known-gaps); `npm start` has one table and is not concerned.
beforeAll(async () => {
  dynamo = await startDynamoLocal({ port: await freePort() });
  stack = await startTestStack('e2e-events', { pollWaitSeconds: 1, dynamoEndpoint: dynamo.endpoint, env: { RETRY_BASE_DELAY_MS: '200' } });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await dynamo?.stop();
});

interface EventJson {
  id: string;
  type: string;
  createdAt: string;
  data: { id: string; status: string; attemptCount: number; lastErrorClass: string | null };
}

const readHeaders = () => ({ authorization: `Bearer ${stack.env.RENEWALS_READ_TOKENS}` });
const renew = async (email: string): Promise<string> => {
  const body = JSON.stringify({ email });
  const res = await fetch(`${stack.apiUrl}/v1/providers/pressone/renew-number`, { method: 'POST', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', body), body });
  expect(res.status).toBe(202);
  return String(((await res.json()) as { id: string }).id);
};
const events = async (query: string) => {
  const res = await fetch(`${stack.apiUrl}/v1/events${query}`, { headers: readHeaders() });
  return { status: res.status, json: (await res.json()) as { items: EventJson[]; nextCursor: string; errors?: Array<{ path: string }> } };
};

/** Follows the cursor until `done` says the events seen so far are enough (generous deadline). */
const follow = async (start: string, limit: number, done: (seen: readonly EventJson[]) => boolean, query = ''): Promise<{ seen: EventJson[]; cursor: string }> => {
  const seen: EventJson[] = [];
  let cursor = start;
  const deadline = Date.now() + 150_000;
  for (;;) {
    const page = await events(`?limit=${limit}${cursor ? `&after=${cursor}` : ''}${query}`);
    expect(page.status).toBe(200);
    seen.push(...page.json.items);
    cursor = page.json.nextCursor;
    if (done(seen)) return { seen, cursor };
    if (Date.now() > deadline) throw new Error(`saw ${seen.length} events before the deadline: ${seen.map((e) => e.type).join(', ')}`);
    if (page.json.items.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
};

describe('events on the local stack', () => {
  it('a retried renewal yields queued, retry_scheduled, succeeded, in order; type filters; the cursor resumes', async () => {
    const start = (await events('?limit=100')).json.nextCursor;
    stack.sandboxes.pressone.injectFaults({ kind: 'status', status: 503, count: 1 });
    const id = await renew(`events-retry.${Date.now()}@example.com`);
    const { seen, cursor } = await follow(start, 2, (s) => s.some((e) => e.data.id === id && e.type === 'renewal.succeeded'));
    const mine = seen.filter((e) => e.data.id === id);
    expect(mine.map((e) => e.type)).toEqual(['renewal.queued', 'renewal.retry_scheduled', 'renewal.succeeded']);
    expect(mine[1]?.data).toMatchObject({ status: 'retry_scheduled', attemptCount: 1, lastErrorClass: 'retryable' });
    expect(mine[2]?.data).toMatchObject({ status: 'succeeded', attemptCount: 2, lastErrorClass: 'success' });
    expect(new Set(mine.map((e) => e.id)).size).toBe(3);
    // Nothing new after the cursor; the same cursor again returns the same (empty) page.
    expect((await events(`?after=${cursor}`)).json).toEqual({ items: [], nextCursor: cursor });
    const succeeded = await events(`?after=${start}&type=renewal.succeeded&limit=100`);
    expect(succeeded.json.items.map((e) => e.id)).toEqual(mine.slice(2).map((e) => e.id));
    // A retry and the table stream's poller on a loaded machine: the deadline above, not speed, is the limit.
  }, 180_000);

  it('a poller following nextCursor while renewals run concurrently sees every event exactly once', async () => {
    const start = (await events('?limit=100')).json.nextCursor;
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => renew(`events-many-${i}.${Date.now()}@example.com`)));
    const { seen } = await follow(start, 3, (s) => ids.every((id) => s.some((e) => e.data.id === id && e.type === 'renewal.succeeded')));
    const eventIds = seen.map((e) => e.id);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    for (const id of ids) expect(seen.filter((e) => e.data.id === id).map((e) => e.type)).toEqual(['renewal.queued', 'renewal.succeeded']);
  }, 180_000);

  it('refuses a bad query with a 400 naming the field, and a missing token with a 401', async () => {
    for (const [query, path] of [
      ['?after=abc', 'query.after'],
      ['?after=-1', 'query.after'],
      ['?type=failed', 'query.type'],
      ['?limit=0', 'query.limit'],
      ['?limit=101', 'query.limit'],
      ['?cursor=1', 'query'],
    ] as const) {
      const res = await events(query);
      expect(res.status, query).toBe(400);
      expect(res.json.errors?.map((e) => e.path).some((p) => p.startsWith(path)), query).toBe(true);
    }
    expect((await fetch(`${stack.apiUrl}/v1/events`)).status).toBe(401);
  });
});

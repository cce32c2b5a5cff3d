/**
 * The event log against DynamoDB Local: concurrent appenders and a reader polling with its cursor.
 * The reader must see every event exactly once and in log order, whatever the interleaving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EventLog, HOLE_SETTLE_MS } from '../../shared/adapters/event-log';
import type { RenewalEvent } from '../../shared/events/event';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  ({ dynamo, tableName } = await createRenewalTable('eventlog'));
});
afterAll(() => dynamo.destroy());

const event = (writer: number, n: number): RenewalEvent => ({
  id: `evt_w${writer}_${String(n).padStart(4, '0')}`,
  type: n % 3 === 0 ? 'renewal.failed' : 'renewal.succeeded',
  createdAt: new Date(Date.UTC(2026, 10, 1, 0, 0, n)).toISOString(),
  data: { id: `rnw_${'a'.repeat(26)}`, provider: 'pressone', operation: 'renew', subscription: `w${writer}`, status: 'succeeded', attemptCount: 1, lastErrorClass: 'success', reason: null },
});

describe('EventLog', () => {
  it('a reader polling with its cursor during concurrent appends sees every event once, in order', async () => {
    const log = new EventLog(dynamo, tableName);
    const writers = 6;
    const perWriter = 24;
    const expected = writers * perWriter;
    // Each writer appends its events in chunks of 1–4, like stream batches of several shards.
    const appending = Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let n = 0; n < perWriter; ) {
          const size = 1 + ((w + n) % 4);
          const chunk = Array.from({ length: Math.min(size, perWriter - n) }, (_, k) => event(w, n + k));
          await log.append(chunk, new Date());
          n += chunk.length;
        }
      }),
    );
    const seen: Array<{ seq: number; id: string }> = [];
    const failedSeen: string[] = [];
    let cursor = 0;
    let failedCursor = 0;
    let done = false;
    void appending.then(() => (done = true));
    const deadline = Date.now() + 120_000;
    // Poll until the writers are done and the reader has caught up (no timing assumptions).
    for (;;) {
      const page = await log.read({ after: cursor, limit: 7 }, new Date());
      for (const item of page.items) seen.push({ seq: item.seq, id: item.event.id });
      cursor = page.position;
      const failedPage = await log.read({ after: failedCursor, limit: 5, type: 'renewal.failed' }, new Date());
      failedSeen.push(...failedPage.items.map((i) => i.event.id));
      failedCursor = failedPage.position;
      if (done && seen.length >= expected && page.items.length === 0 && failedPage.items.length === 0) break;
      if (Date.now() > deadline) throw new Error(`reader saw ${seen.length} of ${expected} events before the deadline`);
    }
    await appending;

    const ids = seen.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length); // never repeated
    expect(ids.length).toBe(expected); // never missed
    expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1)); // dense, in order
    for (let w = 0; w < writers; w++) {
      const mine = ids.filter((id) => id.startsWith(`evt_w${w}_`));
      expect(mine).toEqual([...mine].sort()); // each writer's events in the order it wrote them
    }
    const allFailed = ids.filter((id) => Number(id.slice(-4)) % 3 === 0);
    expect(failedSeen).toEqual(allFailed);
  });

  it('appending the same events again (a redelivered batch) adds nothing', async () => {
    const { dynamo: d, tableName: t } = await createRenewalTable('eventlog-dedupe');
    const log = new EventLog(d, t);
    const batch = [event(90, 1), event(90, 2), event(90, 3)];
    expect([...(await log.append(batch, new Date()))]).toEqual(batch.map((e) => e.id));
    expect([...(await log.append([event(90, 4), ...batch, event(90, 5)], new Date()))]).toEqual([event(90, 4).id, event(90, 5).id]);
    const page = await log.read({ after: 0, limit: 100 }, new Date());
    expect(page.items.map((i) => i.event.id)).toEqual([1, 2, 3, 4, 5].map((n) => event(90, n).id));
    expect(page.position).toBe(5);
    expect(await log.read({ after: 5, limit: 100 }, new Date())).toEqual({ items: [], position: 5 });
    d.destroy();
  });

  it('stops at a recent hole in the sequence (a commit not visible yet) and steps over an old one (expired)', async () => {
    const { dynamo: d, tableName: t } = await createRenewalTable('eventlog-hole');
    const doc = DynamoDBDocumentClient.from(d);
    const now = Date.now();
    const put = (seq: number, loggedAt: number) =>
      doc.send(new PutCommand({ TableName: t, Item: { pk: 'EVENTLOG', sk: String(seq).padStart(15, '0'), seq, loggedAt, expiresAt: 0, event: event(91, seq) } }));
    await put(1, now);
    await put(3, now);
    const log = new EventLog(d, t);
    const early = await log.read({ after: 0, limit: 10 }, new Date(now));
    expect(early.items.map((i) => i.seq)).toEqual([1]);
    expect(early.position).toBe(1);
    const later = await log.read({ after: 1, limit: 10 }, new Date(now + HOLE_SETTLE_MS + 1));
    expect(later.items.map((i) => i.seq)).toEqual([3]);
    d.destroy();
  });
});

/**
 * The `npm run ops -- listen` receiver (local/listen.ts) on its own: it verifies Standard Webhooks
 * signatures (either of two secrets), refuses a bad one with 401, handles a webhook-id once, and
 * the command refuses bad options.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startListener, type Listener } from '../../local/listen';
import { runOps } from '../../local/ops';
import { generateSecret } from '../../shared/delivery/policy';
import { signedHeaders } from '../../shared/delivery/sign';

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.stop();
  listener = undefined;
});

const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers });
const event = (id: string) => JSON.stringify({ id, type: 'renewal.succeeded', createdAt: new Date().toISOString(), data: { id: 'rnw_x', provider: 'pressone', status: 'succeeded' } });

describe('the listen receiver', () => {
  it('verifies with any of its secrets, refuses what does not verify, and handles each webhook-id once', async () => {
    const [a, b, other] = [generateSecret(), generateSecret(), generateSecret()];
    const lines: string[] = [];
    listener = await startListener({ secrets: [a], out: (l) => lines.push(l) });
    const first = event('evt_00000000000000000000000000000001');
    expect((await post(listener.url, first, signedHeaders('evt_00000000000000000000000000000001', first, [b, a], new Date()))).status).toBe(204);
    // The same webhook-id again: answered, not handled again.
    expect((await post(listener.url, first, signedHeaders('evt_00000000000000000000000000000001', first, [a], new Date()))).status).toBe(200);
    // Signed with another secret, or the body changed after signing: refused.
    const second = event('evt_00000000000000000000000000000002');
    expect((await post(listener.url, second, signedHeaders('evt_00000000000000000000000000000002', second, [other], new Date()))).status).toBe(401);
    const headers = signedHeaders('evt_00000000000000000000000000000002', second, [a], new Date());
    expect((await post(listener.url, `${second} `, headers)).status).toBe(401);
    expect(listener.events.map((e) => e.id)).toEqual(['evt_00000000000000000000000000000001']);
    expect(listener.deliveries.map((d) => [d.verified, d.duplicate])).toEqual([
      [true, false],
      [true, true],
      [false, false],
      [false, false],
    ]);
    expect(lines.filter((l) => l.includes('renewal.succeeded'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('duplicate evt_00000000000000000000000000000001'))).toBe(true);
    expect(lines.filter((l) => l.includes('REJECTED'))).toHaveLength(2);
  });

  it('the command refuses a bad port or secret (usage, exit 2) and starts nothing', async () => {
    for (const argv of [['listen', '--port', 'x'], ['listen', '--port', '70000'], ['listen', '--secret', 'not-a-secret']]) {
      const err: string[] = [];
      expect(await runOps(argv, { env: {}, out: () => undefined, err: (l) => err.push(l) }), argv.join(' ')).toBe(2);
      expect(err.join('\n')).toMatch(/--port|--secret/);
    }
  });

  it('with a secret given it only listens: nothing is registered', async () => {
    const secret = generateSecret();
    const calls: string[] = [];
    const out: string[] = [];
    const code = await runOps(['listen', '--secret', secret], {
      env: {},
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      fetch: (input) => (calls.push(String(input)), Promise.reject(new Error('no gateway'))),
      untilStopped: async (l) => {
        const body = event('evt_00000000000000000000000000000003');
        expect((await post(l.url, body, signedHeaders('evt_00000000000000000000000000000003', body, [secret], new Date()))).status).toBe(204);
      },
    });
    expect(code).toBe(0);
    expect(calls).toEqual([]);
    expect(out.some((l) => l.includes('renewal.succeeded'))).toBe(true);
  });
});

/**
 * The PressOne sandbox (and through it the sandbox framework), over real HTTP with fetch: what a
 * consumer sees, and what the journal and `renewalsFor` say actually happened.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addOneMonth, PRESSONE_LIST_USER_PATH, PRESSONE_RENEW_PATH, PressOneSandbox, type PressOneSandboxOptions } from '../../../local/sandboxes/pressone';

const API_KEY = 'sandbox-test-key';
const ALICE = 'alice@example.com';
const NOW = new Date('2026-01-31T12:00:00.000Z');

let sandbox: PressOneSandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

const startSandbox = async (options: Partial<PressOneSandboxOptions> = {}): Promise<{ sandbox: PressOneSandbox; url: string }> => {
  sandbox = new PressOneSandbox({ apiKey: API_KEY, users: [{ email: ALICE }], now: () => NOW, ...options });
  const { url } = await sandbox.start();
  return { sandbox, url };
};

const authHeaders = { authorization: `Bearer ${API_KEY}`, 'pressone-x-api-key': API_KEY };

const renew = (url: string, email: unknown = ALICE, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> =>
  fetch(`${url}${PRESSONE_RENEW_PATH}`, {
    method: 'POST',
    headers: init.headers ?? { ...authHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
    ...(init.signal ? { signal: init.signal } : {}),
  });

const listUser = (url: string, email: string, headers: Record<string, string> = authHeaders): Promise<Response> =>
  fetch(`${url}${PRESSONE_LIST_USER_PATH}?email=${encodeURIComponent(email)}`, { headers });

const admin = (url: string, path: string, init: RequestInit = {}): Promise<Response> => fetch(`${url}/_sandbox/${path}`, init);

const postJson = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('renew number', () => {
  it('renews a trial user into a paid month and journals the call', async () => {
    const { sandbox, url } = await startSandbox();

    const response = await renew(url);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Number renewed successfully', success: true, data: null });
    expect(sandbox.renewalsFor(ALICE)).toBe(1);
    expect(sandbox.user(ALICE)).toEqual({
      email: ALICE,
      plan: 'standard',
      status: 'active',
      renewedUntil: '2026-02-28T12:00:00.000Z', // 31 Jan + 1 month, clamped
      renewalCount: 1,
      lastRenewedAt: NOW.toISOString(),
    });
    const [call, ...others] = sandbox.calls();
    expect(others).toEqual([]);
    expect(call).toMatchObject({
      seq: 1,
      method: 'POST',
      path: PRESSONE_RENEW_PATH,
      body: { email: ALICE },
      status: 200,
      outcome: 'answered',
      fault: null,
      processed: true,
    });
    expect(call?.headers).toMatchObject({ ...authHeaders, 'content-type': 'application/json' });
    expect(Date.parse(call?.at ?? '')).not.toBeNaN();
  });

  it('extends from the end of the paid period on an early renewal', async () => {
    const { sandbox, url } = await startSandbox({
      users: [{ email: ALICE, status: 'active', plan: 'pro', renewedUntil: '2026-02-10T00:00:00Z' }],
    });

    expect((await renew(url)).status).toBe(200);
    expect((await renew(url)).status).toBe(200);

    expect(sandbox.user(ALICE)).toMatchObject({ plan: 'pro', renewedUntil: '2026-04-10T00:00:00.000Z', renewalCount: 2 });
  });

  it('matches emails case-insensitively and trims them', async () => {
    const { sandbox, url } = await startSandbox({ autoCreateUsers: false });

    expect((await renew(url, '  Alice@Example.COM ')).status).toBe(200);

    expect(sandbox.renewalsFor(ALICE)).toBe(1);
  });

  it.each([
    ['Authorization', { 'pressone-x-api-key': API_KEY }],
    ['Pressone-X-Api-Key', { authorization: `Bearer ${API_KEY}` }],
    ['the right key', { authorization: 'Bearer wrong', 'pressone-x-api-key': 'wrong' }],
    ['a Bearer scheme', { authorization: API_KEY, 'pressone-x-api-key': API_KEY }],
  ])('answers 401 without %s, with no effect', async (_missing, headers) => {
    const { sandbox, url } = await startSandbox();

    const response = await renew(url, ALICE, { headers: { ...headers, 'content-type': 'application/json' } });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await response.json()).toEqual({ message: 'Unauthorized', success: false, data: null });
    expect(sandbox.renewalsFor(ALICE)).toBe(0);
    expect(sandbox.calls()[0]).toMatchObject({ status: 401, processed: true });
  });

  it('answers 404 without the trailing slash and 405 to the wrong method', async () => {
    const { sandbox, url } = await startSandbox();

    const noSlash = await fetch(`${url}${PRESSONE_RENEW_PATH.slice(0, -1)}`, {
      method: 'POST',
      headers: { ...authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ email: ALICE }),
    });
    const wrongMethod = await fetch(`${url}${PRESSONE_RENEW_PATH}`, { headers: authHeaders });

    expect(noSlash.status).toBe(404);
    expect(await noSlash.json()).toEqual({ message: 'Not found', success: false, data: null });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(sandbox.renewalsFor(ALICE)).toBe(0);
    expect(sandbox.calls().map((call) => call.status)).toEqual([404, 405]);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email' }, 'Enter a valid email address.'],
    ['no email', {}, 'This field is required.'],
    ['a non-string email', { email: 42 }, 'Not a valid string.'],
    ['a blank email', { email: '  ' }, 'This field may not be blank.'],
  ])('answers 422 to %s', async (_case, body, message) => {
    const { sandbox, url } = await startSandbox();

    const response = await fetch(`${url}${PRESSONE_RENEW_PATH}`, {
      method: 'POST',
      headers: { ...authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ message, success: false, data: null, errors: { email: [message] } });
    expect(sandbox.renewalsFor(ALICE)).toBe(0);
  });

  it('answers 415 to a non-JSON content type and 400 to broken JSON', async () => {
    const { sandbox, url } = await startSandbox();
    const send = (contentType: string, body: string): Promise<Response> =>
      fetch(`${url}${PRESSONE_RENEW_PATH}`, { method: 'POST', headers: { ...authHeaders, 'content-type': contentType }, body });

    const wrongType = await send('text/plain', JSON.stringify({ email: ALICE }));
    const broken = await send('application/json; charset=utf-8', '{"email": ');

    expect(wrongType.status).toBe(415);
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ success: false, data: null });
    expect(sandbox.renewalsFor(ALICE)).toBe(0);
    expect(sandbox.calls()[1]).toMatchObject({ body: null, rawBody: '{"email": ' });
  });

  it('answers 413 to a body over 1 MiB, with no effect', async () => {
    const { sandbox, url } = await startSandbox();

    const response = await renew(url, `${'a'.repeat(1024 * 1024)}@example.com`);

    expect(response.status).toBe(413);
    expect(sandbox.renewalsFor(ALICE)).toBe(0);
    expect(sandbox.calls()[0]).toMatchObject({ status: 413, processed: false, body: null });
  });

  it('answers 404 to an unknown user when auto-create is off', async () => {
    const { sandbox, url } = await startSandbox({ autoCreateUsers: false });

    const response = await renew(url, 'bob@example.com');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'User not found', success: false, data: null });
    expect(sandbox.user('bob@example.com')).toBeUndefined();
  });

  it('treats an unknown user as an existing trial by default', async () => {
    const { sandbox, url } = await startSandbox();

    expect((await renew(url, 'bob@example.com')).status).toBe(200);

    expect(sandbox.user('bob@example.com')).toMatchObject({ status: 'active', renewalCount: 1 });
  });

  it('renews users added after start', async () => {
    const { sandbox, url } = await startSandbox({ autoCreateUsers: false });
    sandbox.addUser({ email: 'carol@example.com', status: 'expired' });

    expect((await renew(url, 'carol@example.com')).status).toBe(200);
    expect(sandbox.renewalsFor('carol@example.com')).toBe(1);
    expect(() => sandbox.addUser({ email: 'not-an-email' })).toThrow();
  });
});

describe('list user', () => {
  it('shows the subscription after a renewal', async () => {
    const { url } = await startSandbox();
    await renew(url);

    const response = await listUser(url, ALICE);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      message: 'Users retrieved successfully',
      success: true,
      data: [
        {
          email: ALICE,
          subscription: {
            status: 'active',
            plan: 'standard',
            renewed_until: '2026-02-28T12:00:00.000Z',
            renewal_count: 1,
            last_renewed_at: NOW.toISOString(),
          },
        },
      ],
    });
  });

  it('lists nobody for an unknown email when auto-create is off, a trial when on, and requires auth', async () => {
    const strict = await startSandbox({ autoCreateUsers: false });
    const unknown = await listUser(strict.url, 'bob@example.com');
    expect(await unknown.json()).toMatchObject({ success: true, data: [] });
    expect((await listUser(strict.url, ALICE, {})).status).toBe(401);
    await strict.sandbox.stop();

    const lenient = await startSandbox();
    const trial = await listUser(lenient.url, 'bob@example.com');
    expect(await trial.json()).toMatchObject({
      data: [{ email: 'bob@example.com', subscription: { status: 'trial', renewal_count: 0, renewed_until: null } }],
    });
    // A read does not create the user.
    expect(lenient.sandbox.user('bob@example.com')).toBeUndefined();
  });
});

describe('faults', () => {
  it('status: answers 503 with Retry-After and has no effect, then the next call goes through', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'status', status: 503, retryAfterSeconds: 1 });

    const failed = await renew(url);
    const next = await renew(url);

    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(await failed.json()).toEqual({ message: 'Service Unavailable', success: false, data: null });
    expect(next.status).toBe(200);
    expect(sandbox.renewalsFor(ALICE)).toBe(1);
    expect(sandbox.calls().map(({ status, fault, processed }) => ({ status, fault, processed }))).toEqual([
      { status: 503, fault: 'status', processed: false },
      { status: 200, fault: null, processed: true },
    ]);
    expect(sandbox.pendingFaults()).toEqual([]);
  });

  it('status: answers with a custom body, including a 2xx that reports failure', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'status', status: 200, body: { message: 'Plan unavailable', success: false, data: null } });

    const response = await renew(url);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Plan unavailable', success: false, data: null });
    expect(sandbox.renewalsFor(ALICE)).toBe(0);
  });

  it('latency: delays, then processes normally', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'latency', ms: 150 });

    const started = performance.now();
    const response = await renew(url);

    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(200);
    expect(sandbox.renewalsFor(ALICE)).toBe(1);
  });

  it('latency: still renews after the client gave up (an ambiguous timeout)', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'latency', ms: 1_000 });

    // The client gives up once the sandbox holds the call (on a busy machine a fixed client timeout
    // could fire before the request even arrived).
    const client = new AbortController();
    const pending = renew(url, ALICE, { signal: client.signal });
    await vi.waitFor(() => expect(sandbox.calls()).toHaveLength(1), { timeout: 10_000, interval: 10 });
    client.abort(new DOMException('the client gave up', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.renewalsFor(ALICE)).toBe(0);

    await vi.waitFor(() => expect(sandbox.renewalsFor(ALICE)).toBe(1), { timeout: 10_000, interval: 20 });
    expect(sandbox.calls()[0]).toMatchObject({ outcome: 'aborted', status: null, processed: true });
  });

  it('timeout: never answers and has no effect', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'timeout' });

    const client = new AbortController();
    const pending = renew(url, ALICE, { signal: client.signal });
    await vi.waitFor(() => expect(sandbox.calls()).toHaveLength(1), { timeout: 10_000, interval: 10 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.abort(new DOMException('the client gave up', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });

    expect(sandbox.renewalsFor(ALICE)).toBe(0);
    expect(sandbox.calls()[0]).toMatchObject({ outcome: 'timeout', status: null, fault: 'timeout', processed: false });
  });

  it('reset: drops the connection without applying the renewal', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'reset' });

    await expect(renew(url)).rejects.toThrow(TypeError);

    expect(sandbox.renewalsFor(ALICE)).toBe(0);
    expect(sandbox.calls()[0]).toMatchObject({ outcome: 'reset', status: null, processed: false });
  });

  it('reset-after-effect: renews, then drops the connection', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'reset-after-effect' });

    await expect(renew(url)).rejects.toThrow(TypeError);

    expect(sandbox.renewalsFor(ALICE)).toBe(1);
    expect(sandbox.calls()[0]).toMatchObject({ outcome: 'reset', status: null, processed: true });
  });

  it('status-after-effect: renews, then answers 500', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'status-after-effect', status: 500 });

    const response = await renew(url);

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error', success: false, data: null });
    expect(sandbox.renewalsFor(ALICE)).toBe(1);
  });

  it('applies a fault to `count` calls and only to calls whose path matches, in queue order', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults([
      { kind: 'status', status: 503, count: 2, path: 'renew-number' },
      { kind: 'status', status: 429 },
    ]);

    // The read does not match the first fault, so it takes the second.
    const read = await listUser(url, ALICE);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await renew(url)).status);

    expect(read.status).toBe(429);
    expect(statuses).toEqual([503, 503, 200]);
    expect(sandbox.renewalsFor(ALICE)).toBe(1);
  });

  it('matches the path filter against the query string too', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'status', status: 502, path: 'email=bob' });

    expect((await listUser(url, ALICE)).status).toBe(200);
    expect((await listUser(url, 'bob@example.com')).status).toBe(502);
  });

  it('rejects a malformed fault in-process', async () => {
    const { sandbox } = await startSandbox();

    expect(() => sandbox.injectFaults({ kind: 'status', status: 99 })).toThrow();
    // @ts-expect-error a misspelt field must not be silently ignored
    expect(() => sandbox.injectFaults({ kind: 'status', status: 503, retryAfter: 1 })).toThrow();
    expect(sandbox.pendingFaults()).toEqual([]);
  });
});

describe('admin HTTP API', () => {
  it('reports health without provider auth', async () => {
    const { url } = await startSandbox();

    const response = await admin(url, 'health');

    expect(await response.json()).toEqual({ status: 'ok', provider: 'pressone' });
  });

  it('injects, lists and clears faults', async () => {
    const { sandbox, url } = await startSandbox();

    const one = await admin(url, 'faults', postJson({ kind: 'status', status: 503, retryAfterSeconds: 2 }));
    const many = await admin(url, 'faults', postJson([{ kind: 'latency', ms: 10, count: 3, path: '/user/' }, { kind: 'reset' }]));

    expect(one.status).toBe(201);
    expect(await one.json()).toEqual({ faults: [{ kind: 'status', status: 503, retryAfterSeconds: 2, count: 1 }] });
    expect(many.status).toBe(201);
    const listed = (await (await admin(url, 'faults')).json()) as { faults: unknown[] };
    expect(listed.faults).toEqual([
      { kind: 'status', status: 503, retryAfterSeconds: 2, count: 1 },
      { kind: 'latency', ms: 10, count: 3, path: '/user/' },
      { kind: 'reset', count: 1 },
    ]);

    const failed = await renew(url);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');

    expect((await admin(url, 'faults', { method: 'DELETE' })).status).toBe(204);
    expect(sandbox.pendingFaults()).toEqual([]);
    expect((await renew(url)).status).toBe(200);
  });

  it('refuses an invalid fault with 400 naming the field', async () => {
    const { sandbox, url } = await startSandbox();

    const response = await admin(url, 'faults', postJson({ kind: 'latency', ms: -5 }));
    const unknownKind = await admin(url, 'faults', postJson({ kind: 'explode' }));
    const notJson = await admin(url, 'faults', { method: 'POST', body: '{' });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid request body', issues: [{ path: 'ms' }] });
    expect(unknownKind.status).toBe(400);
    expect(notJson.status).toBe(400);
    expect(sandbox.pendingFaults()).toEqual([]);
  });

  it('serves and clears the journal, which holds provider calls only', async () => {
    const { url } = await startSandbox();
    await renew(url);
    await listUser(url, ALICE);

    const calls = (await (await admin(url, 'calls')).json()) as { calls: Array<{ method: string; path: string; status: number }> };
    expect(calls.calls.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'POST', path: PRESSONE_RENEW_PATH, status: 200 },
      { method: 'GET', path: `${PRESSONE_LIST_USER_PATH}?email=alice%40example.com`, status: 200 },
    ]);

    expect((await admin(url, 'calls', { method: 'DELETE' })).status).toBe(204);
    expect(await (await admin(url, 'calls')).json()).toEqual({ calls: [] });
  });

  it('adds users, lists them, and resets to the seeded state', async () => {
    const { sandbox, url } = await startSandbox({ autoCreateUsers: false });

    const added = await admin(url, 'users', postJson({ email: 'dave@example.com', plan: 'pro', status: 'active' }));
    expect(added.status).toBe(201);
    expect((await renew(url, 'dave@example.com')).status).toBe(200);
    const users = (await (await admin(url, 'users')).json()) as { users: Array<{ email: string; renewalCount: number }> };
    expect(users.users.map(({ email, renewalCount }) => ({ email, renewalCount }))).toEqual([
      { email: ALICE, renewalCount: 0 },
      { email: 'dave@example.com', renewalCount: 1 },
    ]);
    expect((await admin(url, 'users', postJson({ email: 'nope' }))).status).toBe(400);

    sandbox.injectFaults({ kind: 'timeout' });
    expect((await admin(url, 'reset', { method: 'POST' })).status).toBe(204);

    expect(sandbox.users().map((user) => user.email)).toEqual([ALICE]);
    expect(sandbox.calls()).toEqual([]);
    expect(sandbox.pendingFaults()).toEqual([]);
  });

  it('answers unknown admin routes with 404', async () => {
    const { url } = await startSandbox();

    expect((await admin(url, 'nothing-here')).status).toBe(404);
  });
});

describe('lifecycle', () => {
  it('stop() resolves promptly while a timeout fault holds a socket', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'timeout' });
    const pending = renew(url).then(
      () => 'answered',
      () => 'failed',
    );
    await vi.waitFor(() => expect(sandbox.calls()[0]?.outcome).toBe('timeout'), { timeout: 10_000, interval: 10 });

    const started = performance.now();
    await sandbox.stop();

    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await pending).toBe('failed');
    await sandbox.stop(); // idempotent
  });

  it('does not process a delayed call after stop', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'latency', ms: 2_000 });
    const pending = renew(url).catch(() => undefined);
    await vi.waitFor(() => expect(sandbox.calls()).toHaveLength(1), { timeout: 10_000, interval: 10 });

    await sandbox.stop();
    await pending;
    // Past the moment the delayed call would have been processed.
    await new Promise((resolve) => setTimeout(resolve, 2_100));

    expect(sandbox.renewalsFor(ALICE)).toBe(0);
    expect(sandbox.calls()[0]).toMatchObject({ outcome: 'aborted', processed: false });
  });

  it('rejects start() on a port in use and can be started afterwards', async () => {
    const first = await startSandbox();
    const second = new PressOneSandbox({ apiKey: API_KEY });

    await expect(second.start({ port: Number(new URL(first.url).port) })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const running = await second.start();
    await running.stop();
  });

  it('refuses a second start while running and can start again after stop', async () => {
    const { sandbox, url } = await startSandbox();

    await expect(sandbox.start()).rejects.toThrow(/already running/);
    await sandbox.stop();
    const again = await sandbox.start();

    expect(again.url).not.toBe('');
    expect(sandbox.url).toBe(again.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('addOneMonth', () => {
  it.each([
    ['2026-01-15T08:30:00.000Z', '2026-02-15T08:30:00.000Z'],
    ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
    ['2028-01-31T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['2026-12-31T23:59:59.000Z', '2027-01-31T23:59:59.000Z'],
  ])('%s → %s', (from, to) => {
    expect(addOneMonth(new Date(from)).toISOString()).toBe(to);
  });
});

/**
 * The Punchh sandbox over real HTTP with fetch: the renew call, its documented errors, header
 * requirements, the IP lockout after failed logins, and the framework's faults on top.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PUNCHH_RENEW_PATH, PunchhSandbox, parseIsoDateTime, type PunchhSandboxOptions } from '../../../local/sandboxes/punchh';

const ADMIN_KEY = 'punchh-admin-key';
const NOW = new Date('2026-01-31T12:00:00.000Z');
const LOCAL_IP = '127.0.0.1';

const clock = { ms: NOW.getTime() };
const now = (): Date => new Date(clock.ms);

let sandbox: PunchhSandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  clock.ms = NOW.getTime();
});

const startSandbox = async (options: Partial<PunchhSandboxOptions> = {}): Promise<{ sandbox: PunchhSandbox; url: string }> => {
  sandbox = new PunchhSandbox({ adminKey: ADMIN_KEY, now, ...options });
  const { url } = await sandbox.start();
  return { sandbox, url };
};

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json',
  authorization: `Bearer ${ADMIN_KEY}`,
  'user-agent': 'sandbox-test/1.0',
};

const TERM = { subscription_id: 40, start_time: '2026-02-01T00:00:00Z', end_time: '2026-03-01T00:00:00Z', purchase_price: 9.99 };

const renew = (url: string, body: unknown = TERM, headers: Record<string, string> = HEADERS): Promise<Response> =>
  fetch(`${url}${PUNCHH_RENEW_PATH}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

const withoutHeader = (name: keyof typeof HEADERS): Record<string, string> => Object.fromEntries(Object.entries(HEADERS).filter(([key]) => key !== name));

// A POST with exactly these headers: fetch would add an `Accept` of its own.
const rawPost = (url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${PUNCHH_RENEW_PATH}`, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });

type Json = Record<string, unknown>;
const json = async (response: Response): Promise<Json> => (await response.json()) as Json;

describe('renew', () => {
  it('renews and answers the term; the term is recorded', async () => {
    const { sandbox, url } = await startSandbox();

    const response = await renew(url);

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ subscription_id: 40, start_time: '2026-02-01T00:00:00Z', end_time: '2026-03-01T00:00:00Z' });
    expect(sandbox.renewalsFor(40)).toBe(1);
    expect(sandbox.termsFor(40)).toEqual([
      { start_time: '2026-02-01T00:00:00Z', end_time: '2026-03-01T00:00:00Z', purchase_price: 9.99, planId: null, renewedAt: NOW.toISOString() },
    ]);
    expect(sandbox.calls()[0]).toMatchObject({ status: 200, processed: true, headers: { 'user-agent': 'sandbox-test/1.0' } });
  });

  it('is not idempotent: the same term twice is two renewals', async () => {
    const { sandbox, url } = await startSandbox();

    expect((await renew(url)).status).toBe(200);
    expect((await renew(url)).status).toBe(200);

    expect(sandbox.renewalsFor(40)).toBe(2);
  });

  it('switches plan with new_plan_id and echoes the plan identifier; times come back in UTC', async () => {
    const { sandbox, url } = await startSandbox({
      subscriptions: [{ id: 40, planId: 1 }],
      plans: [{ id: 1 }, { id: 2, externalPlanIdentifier: 'SKU-QUARTERLY' }],
    });

    const response = await renew(url, { ...TERM, start_time: '2026-02-01T01:00:00.000+01:00', end_time: '2026-05-01T00:00', new_plan_id: 2 });

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      subscription_id: 40,
      start_time: '2026-02-01T00:00:00Z',
      end_time: '2026-05-01T00:00:00Z',
      external_plan_identifier: 'SKU-QUARTERLY',
    });
    expect(sandbox.subscription(40)?.planId).toBe(2);
  });
});

describe('authentication and IP lockout', () => {
  it.each([
    ['no Authorization', withoutHeader('authorization')],
    ['a wrong key', { ...HEADERS, authorization: 'Bearer wrong' }],
    ['a non-Bearer scheme', { ...HEADERS, authorization: ADMIN_KEY }],
  ])('answers 401 to %s, counts a failed login, and changes nothing', async (_case, headers) => {
    const { sandbox, url } = await startSandbox();

    const response = await renew(url, TERM, headers);

    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({ error: 'You need to sign in or sign up before continuing.' });
    expect(sandbox.failedLogins()).toBe(1);
    expect(sandbox.failedLogins(LOCAL_IP)).toBe(1);
    expect(sandbox.renewalsFor(40)).toBe(0);
  });

  it('blocks the IP for an hour after 10 failed logins in 10 minutes, even with the right key', async () => {
    const { sandbox, url } = await startSandbox();

    const failures: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      failures.push((await renew(url, TERM, { ...HEADERS, authorization: 'Bearer wrong' })).status);
      clock.ms += 30_000;
    }
    const blocked = await renew(url);

    expect(failures).toEqual(Array.from({ length: 10 }, () => 401));
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await blocked.text()).toBe('Forbidden\n');
    expect(sandbox.isLockedOut(LOCAL_IP)).toBe(true);
    expect(sandbox.isLockedOut()).toBe(true);
    expect(sandbox.isLockedOut('10.0.0.1')).toBe(false);
    // Blocked requests are not authentications: they neither count nor extend the block.
    expect(sandbox.failedLogins()).toBe(10);
    expect(sandbox.renewalsFor(40)).toBe(0);
    expect(await json(await fetch(`${url}/_sandbox/lockouts`))).toEqual({
      failedLogins: 10,
      locked: [{ ip: LOCAL_IP, until: new Date(NOW.getTime() + 9 * 30_000 + 3_600_000).toISOString() }],
    });

    clock.ms = NOW.getTime() + 9 * 30_000 + 3_600_000 - 1;
    expect((await renew(url)).status).toBe(403);
    clock.ms += 1;
    expect(sandbox.isLockedOut(LOCAL_IP)).toBe(false);
    expect((await renew(url)).status).toBe(200);
  });

  it('does not block for failures spread over more than the window', async () => {
    const { sandbox, url } = await startSandbox({ lockout: { failures: 3, windowMs: 1_000, lockMs: 60_000 } });
    const fail = () => renew(url, TERM, { ...HEADERS, authorization: 'Bearer wrong' });

    await fail();
    await fail();
    clock.ms += 1_000; // both earlier failures leave the window
    await fail();
    expect(sandbox.isLockedOut()).toBe(false);
    expect((await renew(url)).status).toBe(200);

    await fail();
    await fail();
    expect(sandbox.isLockedOut()).toBe(true);
    expect(sandbox.failedLogins()).toBe(5);
  });

  it('blocks per IP (X-Forwarded-For when trusted), and can be unblocked', async () => {
    const { sandbox, url } = await startSandbox({ lockout: { failures: 2, windowMs: 60_000, lockMs: 60_000 }, trustForwardedFor: true });
    const from = (ip: string, key = ADMIN_KEY) => renew(url, TERM, { ...HEADERS, authorization: `Bearer ${key}`, 'x-forwarded-for': `${ip}, 10.9.9.9` });

    await from('203.0.113.7', 'wrong');
    await from('203.0.113.7', 'wrong');

    expect((await from('203.0.113.7')).status).toBe(403);
    expect((await from('198.51.100.1')).status).toBe(200);
    expect(sandbox.isLockedOut('203.0.113.7')).toBe(true);
    expect(sandbox.failedLogins('203.0.113.7')).toBe(2);

    expect((await fetch(`${url}/_sandbox/lockouts`, { method: 'DELETE' })).status).toBe(204);
    expect((await from('203.0.113.7')).status).toBe(200);
  });
});

describe('headers and body format', () => {
  it('answers 406 without an Accept that admits JSON, 415 to a non-JSON body, 400 to broken JSON', async () => {
    const { sandbox, url } = await startSandbox();

    const noAccept = await rawPost(url, TERM, withoutHeader('accept'));
    // fetch sends `Accept: */*` when none is given, which admits JSON.
    const fetchDefault = await renew(url, TERM, withoutHeader('accept'));
    const html = await renew(url, TERM, { ...HEADERS, accept: 'text/html' });
    const wildcard = await renew(url, TERM, { ...HEADERS, accept: 'text/html, */*;q=0.1' });
    const text = await renew(url, TERM, { ...HEADERS, 'content-type': 'text/plain' });
    const broken = await renew(url, '{"subscription_id": 40', HEADERS);

    expect(noAccept.status).toBe(406);
    expect(JSON.parse(noAccept.body)).toEqual({ status: 406, error: 'Not Acceptable' });
    expect(fetchDefault.status).toBe(200);
    expect(html.status).toBe(406);
    expect(wildcard.status).toBe(200);
    expect(text.status).toBe(415);
    expect(await json(text)).toEqual({ status: 415, error: 'Unsupported Media Type' });
    expect(broken.status).toBe(400);
    expect(await json(broken)).toEqual({ status: 400, error: 'Bad Request' });
    expect(sandbox.renewalsFor(40)).toBe(2);
  });
});

describe('documented errors', () => {
  it('answers 422 disabled_feature when the business has subscriptions off', async () => {
    const { sandbox, url } = await startSandbox({ disabledFeature: true });

    const response = await renew(url);

    expect(response.status).toBe(422);
    expect(await json(response)).toEqual({ errors: { disabled_feature: 'Subscriptions are not enabled for this business.' } });
    expect(sandbox.renewalsFor(40)).toBe(0);
  });

  it('answers 406 invalid_subscription to an unknown, missing or non-integer subscription, or one that cannot be renewed', async () => {
    const { sandbox, url } = await startSandbox({ autoCreate: false, subscriptions: [{ id: 40 }, { id: 41, renewable: false }] });

    const unknown = await renew(url, { ...TERM, subscription_id: 39 });
    const missing = await renew(url, { ...TERM, subscription_id: undefined });
    const text = await renew(url, { ...TERM, subscription_id: '40' });
    const notRenewable = await renew(url, { ...TERM, subscription_id: 41 });

    for (const response of [unknown, missing, text]) {
      expect(response.status).toBe(406);
      expect(await json(response)).toEqual({ invalid_subscription: 'Invalid User Subscription.' });
    }
    expect(notRenewable.status).toBe(406);
    expect(await json(notRenewable)).toEqual({ invalid_subscription: 'Subscription cannot be renewed.' });
    expect(sandbox.renewalsFor(41)).toBe(0);
  });

  it('uses the schema key `invalid` for 406 when asked', async () => {
    const { url } = await startSandbox({ autoCreate: false, invalidSubscriptionKey: 'invalid' });

    expect(await json(await renew(url))).toEqual({ invalid: 'Invalid User Subscription.' });
  });

  it.each([
    ['missing fields', { subscription_id: 40 }, { start_time: ["can't be blank"], end_time: ["can't be blank"], price: ["can't be blank"] }],
    [
      'malformed fields',
      { subscription_id: 40, start_time: '01/02/2026', end_time: '2026-02-30T00:00:00Z', purchase_price: '9.99' },
      { start_time: ['is invalid'], end_time: ['is invalid'], price: ['is not a number'] },
    ],
    ['an end before the start', { ...TERM, end_time: '2026-01-01T00:00:00Z' }, { end_time: ['must be after start time'] }],
    ['a negative price', { ...TERM, purchase_price: -1 }, { price: ['must be greater than or equal to 0'] }],
    ['a blank time', { ...TERM, start_time: ' ' }, { start_time: ["can't be blank"] }],
  ])('answers 422 field errors for %s (the price keyed `price`)', async (_case, body, errors) => {
    const { sandbox, url } = await startSandbox();

    const response = await renew(url, body);

    expect(response.status).toBe(422);
    expect(await json(response)).toEqual({ errors });
    expect(sandbox.renewalsFor(40)).toBe(0);
  });

  it.each([
    ['an unknown plan', { new_plan_id: 9 }, 'Invalid Plan ID'],
    ['a non-integer plan id', { new_plan_id: 'two' }, 'Invalid Plan ID'],
    ['an inactive plan', { new_plan_id: 2 }, 'Plan is not active.'],
    ['an expired plan', { new_plan_id: 3 }, 'Plan has expired.'],
    ['a plan not for sale', { new_plan_id: 4 }, 'Plan is not available for purchase.'],
    ["the subscription's own plan when it expired", {}, 'Plan has expired.'],
  ])('answers 422 base errors for %s', async (_case, extra, message) => {
    const { sandbox, url } = await startSandbox({
      autoCreate: false,
      subscriptions: [{ id: 40, planId: 3 }],
      plans: [{ id: 1 }, { id: 2, status: 'inactive' }, { id: 3, status: 'expired' }, { id: 4, status: 'unavailable' }],
    });

    const response = await renew(url, { ...TERM, ...extra });

    expect(response.status).toBe(422);
    expect(await json(response)).toEqual({ errors: { base: [message] } });
    expect(sandbox.renewalsFor(40)).toBe(0);
    expect((await renew(url, { ...TERM, new_plan_id: 1 })).status).toBe(200);
  });
});

describe('faults', () => {
  it('status 429 with Retry-After: no effect, in the Rails error shape', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'status', status: 429, retryAfterSeconds: 3 });

    const limited = await renew(url);

    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await json(limited)).toEqual({ status: 429, error: 'Too Many Requests' });
    expect(sandbox.renewalsFor(40)).toBe(0);
    expect((await renew(url)).status).toBe(200);
  });

  it('reset-after-effect and latency: the renewal happened either way', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults([{ kind: 'reset-after-effect' }, { kind: 'latency', ms: 100 }]);

    await expect(renew(url)).rejects.toThrow(TypeError);
    const started = performance.now();
    const slow = await renew(url);

    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(slow.status).toBe(200);
    expect(sandbox.renewalsFor(40)).toBe(2);
  });
});

describe('parseIsoDateTime', () => {
  it.each([
    ['2026-02-01T00:00:00Z', '2026-02-01T00:00:00.000Z'],
    ['2026-02-01T00:00:00.5+02:00', '2026-01-31T22:00:00.500Z'],
    ['2026-02-01T00:00', '2026-02-01T00:00:00.000Z'],
    ['2028-02-29T10:00:00-0500', '2028-02-29T15:00:00.000Z'],
  ])('reads %s', (input, iso) => {
    expect(parseIsoDateTime(input)?.toISOString()).toBe(iso);
  });

  it.each(['2026-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-02-01', '2026-02-01T24:00:00Z', 'yesterday'])('refuses %s', (input) => {
    expect(parseIsoDateTime(input)).toBeUndefined();
  });
});

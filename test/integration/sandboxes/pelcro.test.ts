/**
 * The Pelcro sandbox over real HTTP with fetch: both renew variants, Laravel-style validation,
 * auth, lookups, the per-account rate limit, and the framework's faults on top.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkJwt, signJwt } from '../../../local/sandboxes/jwt';
import {
  PELCRO_CORE_RENEW_PATH,
  PELCRO_SDK_RENEW_PATH,
  PelcroSandbox,
  type PelcroSandboxOptions,
} from '../../../local/sandboxes/pelcro';

const API_KEY = 'pelcro-test-key';
const NOW = new Date('2026-01-31T12:00:00.000Z');

/** A clock the test moves; the sandbox reads it for token expiry, phases and the rate limit. */
const clock = { ms: NOW.getTime() };
const now = (): Date => new Date(clock.ms);

let sandbox: PelcroSandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  clock.ms = NOW.getTime();
});

const startSandbox = async (options: Partial<PelcroSandboxOptions> = {}): Promise<{ sandbox: PelcroSandbox; url: string }> => {
  sandbox = new PelcroSandbox({ apiKey: API_KEY, now, ...options });
  const { url } = await sandbox.start();
  return { sandbox, url };
};

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

interface CallOptions {
  readonly authorization?: string | null;
  readonly query?: string;
  readonly headers?: Record<string, string>;
}

const post = (url: string, path: string, query: string, authorization: string | null, body: unknown, headers: Record<string, string>): Promise<Response> =>
  fetch(`${url}${path}?${query}`, {
    method: 'POST',
    headers: { ...headers, ...(authorization !== null ? { authorization } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const sdkRenew = (url: string, token: string | null, body: unknown, options: CallOptions = {}): Promise<Response> =>
  post(url, PELCRO_SDK_RENEW_PATH, options.query ?? 'site_id=1', options.authorization ?? (token === null ? null : `Bearer ${token}`), body, options.headers ?? JSON_HEADERS);

const coreRenew = (url: string, body: unknown, options: CallOptions = {}): Promise<Response> =>
  post(url, PELCRO_CORE_RENEW_PATH, options.query ?? 'site_id=1&user_id=7', options.authorization === undefined ? `Bearer ${API_KEY}` : options.authorization, body, options.headers ?? JSON_HEADERS);

const CORE_BODY = { subscription_id: 42, plan_id: 3, quantity: 1, source: 'renewal-gateway' };

type Json = Record<string, unknown>;
const json = async (response: Response): Promise<Json> => (await response.json()) as Json;

describe('SDK renew', () => {
  it('renews on-session and answers the customer with a fresh JWT and the subscription with its new phase', async () => {
    const { sandbox, url } = await startSandbox();
    const token = sandbox.customerToken(7, { email: 'jane@example.com' });

    const response = await sdkRenew(url, token, { subscription_id: 42, plan_id: 3, language: 'en', source: 'web', campaign_key: 'spring_2026-a' });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBe('120');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('119');
    const body = await json(response);
    expect(body).toEqual({
      data: {
        id: 7,
        object: 'customer',
        email: 'jane@example.com',
        auth_token: expect.any(String),
        subscriptions: [
          {
            id: 42,
            object: 'subscription',
            status: 'active',
            customer_id: 7,
            plan: { id: 3, object: 'plan', nickname: 'Plan 3', amount: 1000, currency: 'usd', interval: 'month', interval_count: 1 },
            quantity: 1,
            auto_renew: true,
            collection_method: 'send_invoice',
            expires_at: '2026-02-28T12:00:00.000Z',
            renewal_count: 1,
            phases: [
              {
                id: 1,
                plan_id: 3,
                quantity: 1,
                start_date: NOW.toISOString(),
                end_date: '2026-02-28T12:00:00.000Z',
                coupon_code: null,
                campaign_key: 'spring_2026-a',
                source: 'web',
              },
            ],
          },
        ],
      },
    });
    const fresh = checkJwt(String((body.data as Json).auth_token), NOW, 'pelcro-sandbox-secret');
    expect(fresh).toMatchObject({ ok: true, claims: { sub: '7', email: 'jane@example.com', exp: NOW.getTime() / 1000 + 60 * 24 * 3600 } });
    expect(sandbox.renewalsFor(42)).toBe(1);
    expect(sandbox.calls()[0]).toMatchObject({ status: 200, processed: true, body: { subscription_id: 42, plan_id: 3 } });
  });

  it('is not idempotent: each renew adds a phase after the paid time', async () => {
    const { sandbox, url } = await startSandbox({
      subscriptions: [{ id: 42, customerId: 7, planId: 3, expiresAt: '2026-02-10T00:00:00Z' }],
      plans: [{ id: 3, interval: 'year' }],
    });
    const token = sandbox.customerToken(7);

    expect((await sdkRenew(url, token, { subscription_id: 42, plan_id: 3 })).status).toBe(200);
    expect((await sdkRenew(url, token, { subscription_id: 42, plan_id: 3, quantity: 2 })).status).toBe(200);

    expect(sandbox.renewalsFor(42)).toBe(2);
    expect(sandbox.subscription(42)?.phases.map(({ startsAt, endsAt, quantity }) => ({ startsAt, endsAt, quantity }))).toEqual([
      { startsAt: '2026-02-10T00:00:00.000Z', endsAt: '2027-02-10T00:00:00.000Z', quantity: 1 },
      { startsAt: '2027-02-10T00:00:00.000Z', endsAt: '2028-02-10T00:00:00.000Z', quantity: 2 },
    ]);
  });

  it('replace_upcoming_phases deletes the phases that have not started before adding one', async () => {
    const { sandbox, url } = await startSandbox();
    const token = sandbox.customerToken(7);
    await sdkRenew(url, token, { subscription_id: 42, plan_id: 3 });
    await sdkRenew(url, token, { subscription_id: 42, plan_id: 3 });

    const response = await sdkRenew(url, token, { subscription_id: 42, plan_id: 4, coupon_code: 'SAVE50', replace_upcoming_phases: true });

    expect(response.status).toBe(200);
    expect(sandbox.renewalsFor(42)).toBe(3);
    expect(sandbox.subscription(42)?.phases.map(({ planId, startsAt, couponCode }) => ({ planId, startsAt, couponCode }))).toEqual([
      { planId: 3, startsAt: NOW.toISOString(), couponCode: null },
      { planId: 4, startsAt: '2026-02-28T12:00:00.000Z', couponCode: 'SAVE50' },
    ]);
  });

  it('answers 400 with every failing field, Laravel style, and changes nothing', async () => {
    const { sandbox, url } = await startSandbox();
    const token = sandbox.customerToken(7);

    const missing = await sdkRenew(url, token, {}, { query: '' });
    const wrong = await sdkRenew(url, token, {
      subscription_id: '42',
      plan_id: 3.5,
      language: 'xx',
      payment_gateway: 'paypal',
      gateway_token: 12,
      address_id: null,
      campaign_key: 'has space',
      quantity: 0,
      replace_upcoming_phases: 'yes',
    });
    const shortKey = await sdkRenew(url, token, { subscription_id: 42, plan_id: 3, campaign_key: 'ab', language: 'EN' });

    expect(missing.status).toBe(400);
    expect(await json(missing)).toEqual({
      message: 'The subscription id field is required.',
      errors: {
        subscription_id: ['The subscription id field is required.'],
        plan_id: ['The plan id field is required.'],
        site_id: ['The site id field is required.'],
      },
    });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).errors).toEqual({
      subscription_id: ['The subscription id must be an integer.'],
      plan_id: ['The plan id must be an integer.'],
      language: ['The selected language is invalid.'],
      payment_gateway: ['The selected payment gateway is invalid.'],
      gateway_token: ['The gateway token must be a string.'],
      address_id: ['The address id must be an integer.'],
      campaign_key: ['The campaign key may only contain letters, numbers, dashes and underscores.'],
      quantity: ['The quantity must be at least 1.'],
      replace_upcoming_phases: ['The replace upcoming phases field must be true or false.'],
    });
    expect((await json(shortKey)).errors).toEqual({
      campaign_key: ['The campaign key must be at least 3 characters.'],
      language: ['The selected language is invalid.'],
    });
    expect(sandbox.renewalsFor(42)).toBe(0);
  });

  it('refuses a site the account does not have, and reads a body without a JSON content type as no input', async () => {
    const { sandbox, url } = await startSandbox({ siteIds: [5] });
    const token = sandbox.customerToken(7);

    const otherSite = await sdkRenew(url, token, { subscription_id: 42, plan_id: 3 }, { query: 'site_id=1' });
    const textBody = await sdkRenew(url, token, { subscription_id: 42, plan_id: 3 }, { query: 'site_id=5', headers: { 'content-type': 'text/plain' } });
    const broken = await sdkRenew(url, token, '{"subscription_id": 42,', { query: 'site_id=5' });

    expect(otherSite.status).toBe(400);
    expect((await json(otherSite)).errors).toEqual({ site_id: ['The selected site id is invalid.'] });
    expect(textBody.status).toBe(400);
    expect(Object.keys((await json(textBody)).errors as Json)).toEqual(['subscription_id', 'plan_id']);
    expect(broken.status).toBe(400);
    expect(sandbox.renewalsFor(42)).toBe(0);
  });

  it.each([
    ['no Authorization header', 401, null, { message: 'Unauthenticated.' }],
    ['a non-Bearer scheme', 401, 'Basic abc', { message: 'Unauthenticated.' }],
    ['a token that is not a JWT', 403, 'Bearer not-a-jwt', { error: { status: 403, message: 'Token is invalid.' } }],
    ['the account API key', 403, `Bearer ${API_KEY}`, { error: { status: 403, message: 'Token is invalid.' } }],
    [
      'an unsigned (alg none) token',
      403,
      `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"7"}').toString('base64url')}.sig`,
      { error: { status: 403, message: 'Token is invalid.' } },
    ],
    [
      'a payload that is not JSON',
      403,
      `Bearer ${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('nope').toString('base64url')}.sig`,
      { error: { status: 403, message: 'Token is invalid.' } },
    ],
  ])('answers %s with %i and no effect', async (_case, status, authorization, body) => {
    const { sandbox, url } = await startSandbox();

    const response = await sdkRenew(url, null, { subscription_id: 42, plan_id: 3 }, { authorization });

    expect(response.status).toBe(status);
    expect(await json(response)).toEqual(body);
    expect(sandbox.renewalsFor(42)).toBe(0);
    // Refused before the rate limit: an unauthenticated call does not use the account's quota.
    expect(response.headers.get('x-ratelimit-remaining')).toBeNull();
  });

  it('answers 403 "Token has expired." to an expired token, and accepts any structurally valid token without a signing key', async () => {
    const { sandbox, url } = await startSandbox();
    const expired = sandbox.customerToken(7, { expiresInSeconds: -1 });
    const foreign = signJwt({ sub: 9, exp: NOW.getTime() / 1000 + 60 }, 'someone-elses-key');
    const noExpiry = signJwt({ sub: '8' }, 'x');

    const refused = await sdkRenew(url, expired, { subscription_id: 42, plan_id: 3 });
    const accepted = await sdkRenew(url, foreign, { subscription_id: 42, plan_id: 3 });
    const forever = await sdkRenew(url, noExpiry, { subscription_id: 43, plan_id: 3 });

    expect(refused.status).toBe(403);
    expect(await json(refused)).toEqual({ error: { status: 403, message: 'Token has expired.' } });
    expect(accepted.status).toBe(200);
    expect(sandbox.subscription(42)?.customerId).toBe(9);
    expect(forever.status).toBe(200);
    expect(sandbox.subscription(43)?.customerId).toBe(8);
  });

  it('checks HS256 signatures when given the signing key', async () => {
    const { sandbox, url } = await startSandbox({ jwtSecret: 'shared-secret' });

    const forged = await sdkRenew(url, signJwt({ sub: '7' }, 'wrong-secret'), { subscription_id: 42, plan_id: 3 });
    const genuine = await sdkRenew(url, sandbox.customerToken(7), { subscription_id: 42, plan_id: 3 });

    expect(forged.status).toBe(403);
    expect(genuine.status).toBe(200);
    expect(sandbox.renewalsFor(42)).toBe(1);
  });
});

describe('Core renew', () => {
  it('renews server-to-server and answers the subscription resource', async () => {
    const { sandbox, url } = await startSandbox();

    const response = await coreRenew(url, { ...CORE_BODY, auto_renew: false, collection_method: 'charge_automatically', source_id: 11 });

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      data: expect.objectContaining({
        id: 42,
        object: 'subscription',
        customer_id: 7,
        auto_renew: false,
        collection_method: 'charge_automatically',
        renewal_count: 1,
        phases: [expect.objectContaining({ plan_id: 3, source: 'renewal-gateway', start_date: NOW.toISOString() })],
      }),
    });
    expect(sandbox.renewalsFor(42)).toBe(1);
    expect(sandbox.subscription(42)?.phases[0]?.via).toBe('core');
  });

  it('answers 400 for missing required fields, query parameters and source_id with charge_automatically', async () => {
    const { sandbox, url } = await startSandbox();

    const missing = await coreRenew(url, { subscription_id: 42, plan_id: 3 }, { query: 'site_id=1' });
    const noSource = await coreRenew(url, { ...CORE_BODY, collection_method: 'charge_automatically' });
    const badMethod = await coreRenew(url, { ...CORE_BODY, collection_method: 'invoice', auto_renew: 1 }, { query: 'site_id=x&user_id=7' });

    expect(missing.status).toBe(400);
    expect((await json(missing)).errors).toEqual({
      quantity: ['The quantity field is required.'],
      source: ['The source field is required.'],
      user_id: ['The user id field is required.'],
    });
    expect((await json(noSource)).errors).toEqual({
      source_id: ['The source id field is required when collection method is charge_automatically.'],
    });
    expect((await json(badMethod)).errors).toEqual({
      auto_renew: ['The auto renew field must be true or false.'],
      collection_method: ['The selected collection method is invalid.'],
      site_id: ['The site id must be an integer.'],
    });
    expect(sandbox.renewalsFor(42)).toBe(0);
  });

  it.each([
    ['no key', 401, null, { message: 'Unauthenticated.' }],
    ['a wrong key', 403, 'Bearer not-the-key', { error: { status: 403, message: 'Invalid API key.' } }],
    ['a customer JWT', 403, 'customer-token', { error: { status: 403, message: 'Invalid API key.' } }],
  ])('answers %s with %i and no effect', async (_case, status, authorization, body) => {
    const { sandbox, url } = await startSandbox();
    const header = authorization === 'customer-token' ? `Bearer ${sandbox.customerToken(7)}` : authorization;

    const response = await coreRenew(url, CORE_BODY, { authorization: header });

    expect(response.status).toBe(status);
    expect(await json(response)).toEqual(body);
    expect(sandbox.renewalsFor(42)).toBe(0);
  });
});

describe('lookups and business rules (both variants)', () => {
  it('answers 404 to an unknown subscription or plan when auto-create is off, and to an unknown coupon', async () => {
    const { sandbox, url } = await startSandbox({
      autoCreate: false,
      subscriptions: [{ id: 42 }],
      plans: [{ id: 3 }],
      coupons: ['SAVE10'],
    });
    const token = sandbox.customerToken(7);

    const noSubscription = await coreRenew(url, { ...CORE_BODY, subscription_id: 41 });
    const noPlan = await sdkRenew(url, token, { subscription_id: 42, plan_id: 4 });
    const noCoupon = await coreRenew(url, { ...CORE_BODY, coupon_code: 'SAVE99' });
    const coupon = await coreRenew(url, { ...CORE_BODY, coupon_code: 'SAVE10' });

    expect(noSubscription.status).toBe(404);
    expect(await json(noSubscription)).toEqual({ error: { status: 404, message: 'Subscription not found.' } });
    expect(noPlan.status).toBe(404);
    expect(await json(noPlan)).toEqual({ error: { status: 404, message: 'Plan not found.' } });
    expect(noCoupon.status).toBe(404);
    expect(await json(noCoupon)).toEqual({ error: { status: 404, message: 'Coupon not found.' } });
    expect(coupon.status).toBe(200);
    expect(sandbox.renewalsFor(42)).toBe(1);
    expect(sandbox.subscription(41)).toBeUndefined();
  });

  it("answers 404 to another customer's subscription and to ids that cannot exist", async () => {
    const { sandbox, url } = await startSandbox({ subscriptions: [{ id: 42, customerId: 8 }] });

    const sdk = await sdkRenew(url, sandbox.customerToken(7), { subscription_id: 42, plan_id: 3 });
    const core = await coreRenew(url, CORE_BODY, { query: 'site_id=1&user_id=7' });
    const owner = await coreRenew(url, CORE_BODY, { query: 'site_id=1&user_id=8' });
    const zero = await coreRenew(url, { ...CORE_BODY, subscription_id: 0 });
    const huge = await coreRenew(url, { ...CORE_BODY, plan_id: 2 ** 31 });

    expect([sdk.status, core.status, owner.status, zero.status, huge.status]).toEqual([404, 404, 200, 404, 404]);
    expect(sandbox.renewalsFor(42)).toBe(1);
  });

  it('answers 400 {message} to a subscription that cannot be renewed or an inactive plan, and requires an address when the plan does', async () => {
    const { sandbox, url } = await startSandbox({
      subscriptions: [{ id: 42, status: 'canceled' }, { id: 43, status: 'active', renewable: false }, { id: 44, status: 'past_due' }],
      plans: [{ id: 3 }, { id: 4, active: false }, { id: 5, requiresAddress: true }],
    });

    const canceled = await coreRenew(url, CORE_BODY);
    const notRenewable = await coreRenew(url, { ...CORE_BODY, subscription_id: 43 });
    const inactive = await coreRenew(url, { ...CORE_BODY, subscription_id: 44, plan_id: 4 });
    const noAddress = await coreRenew(url, { ...CORE_BODY, subscription_id: 44, plan_id: 5 });
    const withAddress = await coreRenew(url, { ...CORE_BODY, subscription_id: 44, plan_id: 5, address_id: 9 });

    expect(canceled.status).toBe(400);
    expect(await json(canceled)).toEqual({ message: 'This subscription can not be renewed.' });
    expect(notRenewable.status).toBe(400);
    expect(inactive.status).toBe(400);
    expect(await json(inactive)).toEqual({ message: 'The selected plan is not available.' });
    expect(noAddress.status).toBe(400);
    expect((await json(noAddress)).errors).toEqual({ address_id: ['The address id field is required.'] });
    expect(withAddress.status).toBe(200);
    expect(sandbox.subscription(44)).toMatchObject({ status: 'active', renewalCount: 1 });
    expect(sandbox.renewalsFor(42) + sandbox.renewalsFor(43)).toBe(0);
  });
});

describe('rate limit (per account, both variants)', () => {
  it('answers the call over the limit 429 with Retry-After, without effect, and lets it through once the window has passed', async () => {
    const { sandbox, url } = await startSandbox({ rateLimit: { limit: 5, windowMs: 500 } });
    const token = sandbox.customerToken(7);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = i % 2 === 0 ? await coreRenew(url, CORE_BODY) : await sdkRenew(url, token, { subscription_id: 42, plan_id: 3 });
      statuses.push(response.status);
      clock.ms += 50;
    }
    // Unauthenticated calls are refused before the limit and do not count.
    expect((await coreRenew(url, CORE_BODY, { authorization: null })).status).toBe(401);
    const limited = await coreRenew(url, CORE_BODY);

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1'); // the first call leaves the window in 250 ms
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(Math.ceil((NOW.getTime() + 500) / 1000)));
    expect(await json(limited)).toEqual({ message: 'Too Many Attempts.' });
    expect(sandbox.renewalsFor(42)).toBe(5);
    expect(sandbox.rateLimitedCount()).toBe(1);
    expect(sandbox.calls().at(-1)).toMatchObject({ status: 429, processed: true });

    // The window is (now - 500 ms, now]: at NOW + 500 the first call has left it.
    clock.ms = NOW.getTime() + 500;
    const later = await coreRenew(url, CORE_BODY);
    const again = await sdkRenew(url, token, { subscription_id: 42, plan_id: 3 });

    expect(later.status).toBe(200);
    expect(again.status).toBe(429);
    expect(sandbox.renewalsFor(42)).toBe(6);
    expect(sandbox.rateLimitedCount()).toBe(2);
    expect(sandbox.maxCallsInAnyWindow()).toBe(5);
    expect(await json(await fetch(`${url}/_sandbox/rate`))).toEqual({ limit: 5, windowMs: 500, rateLimited: 2, maxInWindow: 5 });
  });

  it('enforces the window on the real clock too', async () => {
    const { sandbox, url } = await startSandbox({ rateLimit: { limit: 5, windowMs: 400 }, now: undefined });

    const burst = await Promise.all(Array.from({ length: 6 }, () => coreRenew(url, CORE_BODY)));
    const statuses = burst.map((response) => response.status).sort();

    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await coreRenew(url, CORE_BODY)).status).toBe(200);
    expect(sandbox.maxCallsInAnyWindow()).toBeLessThanOrEqual(5);
    expect(sandbox.renewalsFor(42)).toBe(6);
  });

  it('is reset with the sandbox', async () => {
    const { sandbox, url } = await startSandbox({ rateLimit: { limit: 1, windowMs: 60_000 } });
    await coreRenew(url, CORE_BODY);
    expect((await coreRenew(url, CORE_BODY)).status).toBe(429);

    sandbox.reset();

    expect(sandbox.rateLimitedCount()).toBe(0);
    expect(sandbox.maxCallsInAnyWindow()).toBe(0);
    expect((await coreRenew(url, CORE_BODY)).status).toBe(200);
  });
});

describe('faults', () => {
  it('status 503 with Retry-After: no effect, and it does not use the rate limit', async () => {
    const { sandbox, url } = await startSandbox({ rateLimit: { limit: 1, windowMs: 60_000 } });
    sandbox.injectFaults({ kind: 'status', status: 503, retryAfterSeconds: 2 });

    const failed = await coreRenew(url, CORE_BODY);
    const next = await coreRenew(url, CORE_BODY);

    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect(await json(failed)).toEqual({ message: 'Service Unavailable' });
    expect(next.status).toBe(200);
    expect(sandbox.renewalsFor(42)).toBe(1);
  });

  it('status-after-effect 500 and reset-after-effect: renewed although the client saw a failure', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults([{ kind: 'status-after-effect', status: 500 }, { kind: 'reset-after-effect' }, { kind: 'reset' }]);

    const ambiguous = await coreRenew(url, CORE_BODY);
    await expect(coreRenew(url, CORE_BODY)).rejects.toThrow(TypeError);
    await expect(coreRenew(url, CORE_BODY)).rejects.toThrow(TypeError);

    expect(ambiguous.status).toBe(500);
    expect(sandbox.renewalsFor(42)).toBe(2);
    expect(sandbox.calls().map(({ outcome, processed }) => ({ outcome, processed }))).toEqual([
      { outcome: 'answered', processed: true },
      { outcome: 'reset', processed: true },
      { outcome: 'reset', processed: false },
    ]);
  });

  it('timeout: never answers and has no effect', async () => {
    const { sandbox, url } = await startSandbox();
    sandbox.injectFaults({ kind: 'timeout', path: 'sdk' });

    await expect(
      fetch(`${url}${PELCRO_SDK_RENEW_PATH}?site_id=1`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer ${sandbox.customerToken(7)}` },
        body: JSON.stringify({ subscription_id: 42, plan_id: 3 }),
        signal: AbortSignal.timeout(150),
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.renewalsFor(42)).toBe(0);
    expect((await coreRenew(url, CORE_BODY)).status).toBe(200); // the fault was for the SDK path only
  });
});

describe('admin', () => {
  it('lists and seeds subscriptions, and reset forgets renewals', async () => {
    const { sandbox, url } = await startSandbox({ autoCreate: false, plans: [{ id: 3 }] });

    const seeded = await fetch(`${url}/_sandbox/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 42, customerId: 7 }),
    });
    const bad = await fetch(`${url}/_sandbox/subscriptions`, { method: 'POST', body: JSON.stringify({ id: -1 }) });
    expect(seeded.status).toBe(201);
    expect(bad.status).toBe(400);
    expect((await coreRenew(url, CORE_BODY)).status).toBe(200);

    const listed = await json(await fetch(`${url}/_sandbox/subscriptions`));
    expect(listed.subscriptions).toEqual([expect.objectContaining({ id: 42, customerId: 7, renewalCount: 1 })]);

    sandbox.reset();
    expect(sandbox.subscriptions()).toEqual([]);
  });
});

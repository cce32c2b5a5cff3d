/**
 * The Digital River sandbox over real HTTP with fetch: 202-with-no-body changes applied later,
 * pending actions, both error shapes, Basic auth in either header, the per-key rate limit, and
 * the framework's faults on top.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DR_UNAUTHORIZED_MESSAGE,
  DigitalRiverSandbox,
  drSubscriptionPath,
  type DigitalRiverSandboxOptions,
  type DrRenewalAction,
} from '../../../local/sandboxes/digitalriver';

const API_KEY = 'dr-key';
const API_SECRET = 'dr-secret';
const BASIC = `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`;
const NOW = new Date('2026-01-31T12:00:00.000Z');
const SUB = '1234567890';

const clock = { ms: NOW.getTime() };
const now = (): Date => new Date(clock.ms);

let sandbox: DigitalRiverSandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  clock.ms = NOW.getTime();
});

const startSandbox = async (options: Partial<DigitalRiverSandboxOptions> = {}): Promise<{ sandbox: DigitalRiverSandbox; url: string }> => {
  sandbox = new DigitalRiverSandbox({ apiKey: API_KEY, apiSecret: API_SECRET, now, ...options });
  const { url } = await sandbox.start();
  return { sandbox, url };
};

const post = (
  url: string,
  action: DrRenewalAction,
  body: unknown,
  options: { subId?: string; headers?: Record<string, string> } = {},
): Promise<Response> =>
  fetch(`${url}${drSubscriptionPath(options.subId ?? SUB, action)}`, {
    method: 'POST',
    headers: options.headers ?? { authorization: BASIC, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const pendingActions = (url: string, subId = SUB, headers: Record<string, string> = { authorization: BASIC }): Promise<Response> =>
  fetch(`${url}${drSubscriptionPath(subId, 'pending-actions')}`, { headers });

type Json = Record<string, unknown>;
const json = async (response: Response): Promise<Json> => (await response.json()) as Json;

const nested = (subCode: string, description: string, code = 'bad-request') => ({ errors: { error: [{ code, subCode, description }] } });
const flat = (code: string, description: string) => ({ errors: [{ code, description }] });

describe('renewal changes', () => {
  it('accepts with 202 and no body, lists the change as pending, and applies it after the delay', async () => {
    const { sandbox, url } = await startSandbox();

    const response = await post(url, 'renewal-type', { autoRenewal: false });

    expect(response.status).toBe(202);
    expect(response.headers.get('content-length')).toBe('0');
    expect(response.headers.get('content-type')).toBeNull();
    expect(await response.text()).toBe('');
    expect(sandbox.callsCountFor(SUB)).toBe(1);
    expect(sandbox.settingsFor(SUB)).toEqual({ autoRenewal: true, renewalProductId: null, renewalQuantity: 1, renewalUnitPrice: null });

    const listed = await pendingActions(url);
    expect(listed.status).toBe(200);
    expect(await json(listed)).toEqual({
      subscriptionId: SUB,
      pendingActions: [
        {
          id: 'pa_1',
          type: 'renewal-type',
          value: false,
          status: 'PENDING',
          createdDate: NOW.toISOString(),
          effectiveDate: new Date(NOW.getTime() + 50).toISOString(),
        },
      ],
    });

    clock.ms += 50;
    expect(sandbox.settingsFor(SUB)?.autoRenewal).toBe(false);
    expect(await json(await pendingActions(url))).toEqual({ subscriptionId: SUB, pendingActions: [] });
    expect(sandbox.pendingActionsFor(SUB)).toEqual([]);
  });

  it('applies each kind of change, in order, and a repeated change is harmless', async () => {
    const { sandbox, url } = await startSandbox({ applyDelayMs: 0 });

    const statuses = [
      (await post(url, 'renewal-product', { renewalProductId: 'prod-annual' })).status,
      (await post(url, 'renewal-quantity', { renewalQuantity: 3 })).status,
      (await post(url, 'renewal-price', { renewalUnitPrice: 19.5 })).status,
      (await post(url, 'renewal-quantity', { renewalQuantity: 3 })).status,
      (await post(url, 'renewal-type', { autoRenewal: false, ignored: 'field' })).status,
    ];

    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    expect(sandbox.settingsFor(SUB)).toEqual({ autoRenewal: false, renewalProductId: 'prod-annual', renewalQuantity: 3, renewalUnitPrice: 19.5 });
    expect(sandbox.callsCountFor(SUB)).toBe(5);
  });

  it('applies later on the real clock', async () => {
    const { sandbox, url } = await startSandbox({ now: undefined, applyDelayMs: 30 });

    expect((await post(url, 'renewal-quantity', { renewalQuantity: 7 })).status).toBe(202);

    await vi.waitFor(() => expect(sandbox.settingsFor(SUB)?.renewalQuantity).toBe(7), { timeout: 2_000, interval: 10 });
  });

  it('takes the subscription id from the path, decoded', async () => {
    const { sandbox, url } = await startSandbox({ applyDelayMs: 0 });

    expect((await post(url, 'renewal-quantity', { renewalQuantity: 2 }, { subId: 'sub 1/ä' })).status).toBe(202);

    expect(sandbox.settingsFor('sub 1/ä')?.renewalQuantity).toBe(2);
    expect(sandbox.settingsFor(SUB)).toBeUndefined();
  });
});

describe('errors', () => {
  it.each([
    ['renewal-type', { autoRenewal: 'false' }, 'invalid-parameter', 'autoRenewal must be a boolean.'],
    ['renewal-type', {}, 'missing-parameter', 'autoRenewal is required.'],
    ['renewal-product', { renewalProductId: '' }, 'invalid-parameter', 'renewalProductId must be a non-empty string.'],
    ['renewal-product', { renewalProductId: 42 }, 'invalid-parameter', 'renewalProductId must be a non-empty string.'],
    ['renewal-quantity', { renewalQuantity: 0 }, 'invalid-parameter', 'renewalQuantity must be an integer between 1 and 2147483647.'],
    ['renewal-quantity', { renewalQuantity: 1.5 }, 'invalid-parameter', 'renewalQuantity must be an integer between 1 and 2147483647.'],
    ['renewal-quantity', { renewalQuantity: 2 ** 31 }, 'invalid-parameter', 'renewalQuantity must be an integer between 1 and 2147483647.'],
    ['renewal-price', { renewalUnitPrice: -1 }, 'invalid-parameter', 'renewalUnitPrice must be a number greater than or equal to 0.'],
    ['renewal-price', { renewalUnitPrice: null }, 'missing-parameter', 'renewalUnitPrice is required.'],
    ['renewal-price', [], 'malformed-request-body', 'The request body must be a JSON object.'],
    ['renewal-price', '', 'missing-request-body', 'Required request body is missing.'],
  ] as const)('%s with %j → 400 in the nested shape', async (action, body, subCode, description) => {
    const { sandbox, url } = await startSandbox();

    const response = await post(url, action, body);

    expect(response.status).toBe(400);
    expect(await json(response)).toEqual(nested(subCode, description));
    expect(sandbox.callsCountFor(SUB)).toBe(0);
  });

  it('answers 400 to broken JSON and 415 to a non-JSON content type', async () => {
    const { url } = await startSandbox();

    const broken = await post(url, 'renewal-type', '{"autoRenewal": ');
    const text = await post(url, 'renewal-type', JSON.stringify({ autoRenewal: true }), { headers: { authorization: BASIC, 'content-type': 'text/plain' } });

    expect(broken.status).toBe(400);
    expect(await json(broken)).toMatchObject({ errors: { error: [{ code: 'bad-request', subCode: 'malformed-request-body' }] } });
    expect(text.status).toBe(415);
    expect(await json(text)).toEqual(flat('unsupported-media-type', "Content type 'text/plain' not supported."));
  });

  it('changes the renewal type only in Subscribed, Pending activation and Trial; ended subscriptions take no change', async () => {
    const { sandbox, url } = await startSandbox({
      subscriptions: [
        { id: 'trial', state: 'Trial' },
        { id: 'pending', state: 'Pending activation' },
        { id: 'grace', state: 'Grace period' },
        { id: 'cancelled', state: 'Cancelled' },
      ],
    });

    const type = async (subId: string) => (await post(url, 'renewal-type', { autoRenewal: false }, { subId })).status;
    const statuses = { trial: await type('trial'), pending: await type('pending'), grace: await type('grace'), cancelled: await type('cancelled') };
    const grace = await post(url, 'renewal-type', { autoRenewal: false }, { subId: 'grace' });
    const graceQuantity = await post(url, 'renewal-quantity', { renewalQuantity: 2 }, { subId: 'grace' });
    const cancelledQuantity = await post(url, 'renewal-quantity', { renewalQuantity: 2 }, { subId: 'cancelled' });

    expect(statuses).toEqual({ trial: 202, pending: 202, grace: 400, cancelled: 400 });
    expect(await json(grace)).toEqual(
      nested('invalid-subscription-state', 'Renewal type can only be changed for subscriptions in state Subscribed, Pending activation, Trial; this one is Grace period.'),
    );
    expect(graceQuantity.status).toBe(202);
    expect(cancelledQuantity.status).toBe(400);
    expect(await json(cancelledQuantity)).toEqual(nested('invalid-subscription-state', 'Renewal settings cannot be changed for a subscription in state Cancelled.'));
    expect(sandbox.callsCountFor('cancelled')).toBe(0);
  });

  it('answers 404 in the nested shape to an unknown subscription when auto-create is off', async () => {
    const { sandbox, url } = await startSandbox({ autoCreate: false, subscriptions: [{ id: 'known' }] });

    const unknown = await post(url, 'renewal-type', { autoRenewal: true });
    const unknownRead = await pendingActions(url);
    const known = await post(url, 'renewal-type', { autoRenewal: true }, { subId: 'known' });

    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual(nested('subscription-not-found', `Subscription ${SUB} not found.`, 'not-found'));
    expect(unknownRead.status).toBe(404);
    expect(known.status).toBe(202);
    expect(sandbox.subscription(SUB)).toBeUndefined();
  });

  it('answers 403 Access Denied in the flat shape to a subscription the key may not touch', async () => {
    const { sandbox, url } = await startSandbox({ subscriptions: [{ id: SUB, forbidden: true }] });

    const response = await post(url, 'renewal-price', { renewalUnitPrice: 5 });
    const read = await pendingActions(url);

    expect(response.status).toBe(403);
    expect(await json(response)).toEqual(flat('access-denied', 'Access Denied'));
    expect(read.status).toBe(403);
    expect(sandbox.callsCountFor(SUB)).toBe(0);
  });

  it('answers 404 in the flat shape to an unknown route', async () => {
    const { url } = await startSandbox();

    const response = await fetch(`${url}/v1/subscriptions/${SUB}/renewal-colour`, { method: 'POST', headers: { authorization: BASIC } });

    expect(response.status).toBe(404);
    expect(await json(response)).toEqual(flat('not-found', 'Not found'));
  });
});

describe('authentication', () => {
  it.each([
    ['no credentials', { 'content-type': 'application/json' }],
    ['a wrong secret', { authorization: `Basic ${Buffer.from(`${API_KEY}:nope`).toString('base64')}`, 'content-type': 'application/json' }],
    ['credentials in the token header', { token: BASIC, 'content-type': 'application/json' }],
    ['an unknown bearer token', { authorization: 'Bearer abc', 'content-type': 'application/json' }],
    ['malformed Basic', { authorization: 'Basic !!!', 'content-type': 'application/json' }],
  ])('answers 401 to %s, in the flat shape, without effect', async (_case, headers) => {
    const { sandbox, url } = await startSandbox();

    const response = await post(url, 'renewal-quantity', { renewalQuantity: 2 }, { headers });

    expect(response.status).toBe(401);
    expect(await json(response)).toEqual(flat('unauthorized', DR_UNAUTHORIZED_MESSAGE));
    expect(sandbox.callsCountFor(SUB)).toBe(0);
  });

  it('reads Basic auth from the `token` header when so configured, and ignores Authorization then', async () => {
    const { sandbox, url } = await startSandbox({ authHeader: 'token' });

    const viaAuthorization = await post(url, 'renewal-quantity', { renewalQuantity: 2 });
    const viaToken = await post(url, 'renewal-quantity', { renewalQuantity: 2 }, { headers: { token: BASIC, 'content-type': 'application/json' } });
    const lowerScheme = await post(url, 'renewal-quantity', { renewalQuantity: 2 }, { headers: { token: BASIC.replace('Basic', 'basic'), 'content-type': 'application/json' } });

    expect(viaAuthorization.status).toBe(401);
    expect(viaToken.status).toBe(202);
    expect(lowerScheme.status).toBe(202);
    expect(sandbox.callsCountFor(SUB)).toBe(2);
  });

  it('accepts a full access token where DR does, but not on renewal-product and renewal-price', async () => {
    const { sandbox, url } = await startSandbox({ authHeader: 'token', accessTokens: ['full-access-token'] });
    const headers = { token: 'full-access-token', 'content-type': 'application/json' };

    const type = await post(url, 'renewal-type', { autoRenewal: false }, { headers });
    const quantity = await post(url, 'renewal-quantity', { renewalQuantity: 4 }, { headers: { ...headers, token: 'Bearer full-access-token' } });
    const product = await post(url, 'renewal-product', { renewalProductId: 'p' }, { headers });
    const price = await post(url, 'renewal-price', { renewalUnitPrice: 1 }, { headers });
    const read = await pendingActions(url, SUB, { token: 'full-access-token' });

    expect([type.status, quantity.status, product.status, price.status, read.status]).toEqual([202, 202, 401, 401, 200]);
    expect(sandbox.callsCountFor(SUB)).toBe(2);
  });

  it('requires auth to list pending actions', async () => {
    const { url } = await startSandbox();

    expect((await pendingActions(url, SUB, {})).status).toBe(401);
  });
});

describe('rate limit (per key)', () => {
  it('answers the call over the limit 429 with Retry-After, without effect, and lets it through once the window has passed', async () => {
    const { sandbox, url } = await startSandbox({ rateLimit: { limit: 5, windowMs: 500 }, applyDelayMs: 0 });

    const statuses: number[] = [];
    for (let quantity = 1; quantity <= 5; quantity += 1) {
      statuses.push((await post(url, 'renewal-quantity', { renewalQuantity: quantity })).status);
      clock.ms += 10;
    }
    const limited = await post(url, 'renewal-quantity', { renewalQuantity: 6 });
    const limitedRead = await pendingActions(url);

    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await json(limited)).toEqual(flat('too-many-requests', 'Too many requests'));
    expect(limitedRead.status).toBe(429);
    expect(sandbox.settingsFor(SUB)?.renewalQuantity).toBe(5);
    expect(sandbox.rateLimitedCount()).toBe(2);

    clock.ms = NOW.getTime() + 500;
    expect((await post(url, 'renewal-quantity', { renewalQuantity: 6 })).status).toBe(202);
    expect(sandbox.settingsFor(SUB)?.renewalQuantity).toBe(6);
    expect(sandbox.maxCallsInAnyWindow()).toBe(5);
    expect(await json(await fetch(`${url}/_sandbox/rate`))).toEqual({ limit: 5, windowMs: 500, rateLimited: 2, maxInWindow: 5 });
  });

  it('does not count unauthenticated calls', async () => {
    const { sandbox, url } = await startSandbox({ rateLimit: { limit: 1, windowMs: 60_000 } });

    await post(url, 'renewal-type', { autoRenewal: true }, { headers: { 'content-type': 'application/json' } });
    const first = await post(url, 'renewal-type', { autoRenewal: true });

    expect(first.status).toBe(202);
    expect(sandbox.rateLimitedCount()).toBe(0);
  });
});

describe('faults', () => {
  it('timeout, then a retry: safe to repeat, the change lands once', async () => {
    const { sandbox, url } = await startSandbox({ applyDelayMs: 0 });
    sandbox.injectFaults({ kind: 'timeout' });

    await expect(
      fetch(`${url}${drSubscriptionPath(SUB, 'renewal-price')}`, {
        method: 'POST',
        headers: { authorization: BASIC, 'content-type': 'application/json' },
        body: JSON.stringify({ renewalUnitPrice: 12 }),
        signal: AbortSignal.timeout(150),
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    const retried = await post(url, 'renewal-price', { renewalUnitPrice: 12 });

    expect(retried.status).toBe(202);
    expect(sandbox.settingsFor(SUB)?.renewalUnitPrice).toBe(12);
    expect(sandbox.callsCountFor(SUB)).toBe(1);
  });

  it('reset-after-effect then 503: accepted once, the retry repeats the same absolute value', async () => {
    const { sandbox, url } = await startSandbox({ applyDelayMs: 0 });
    sandbox.injectFaults([{ kind: 'reset-after-effect' }, { kind: 'status', status: 503, retryAfterSeconds: 1 }]);

    await expect(post(url, 'renewal-product', { renewalProductId: 'prod-2' })).rejects.toThrow(TypeError);
    const unavailable = await post(url, 'renewal-product', { renewalProductId: 'prod-2' });
    const retried = await post(url, 'renewal-product', { renewalProductId: 'prod-2' });

    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
    expect(await json(unavailable)).toEqual(flat('service-unavailable', 'Service Unavailable'));
    expect(retried.status).toBe(202);
    expect(sandbox.callsCountFor(SUB)).toBe(2);
    expect(sandbox.settingsFor(SUB)?.renewalProductId).toBe('prod-2');
  });
});

describe('admin', () => {
  it('lists and seeds subscriptions with their pending actions; reset drops them', async () => {
    const { sandbox, url } = await startSandbox({ autoCreate: false });

    const seeded = await fetch(`${url}/_sandbox/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: SUB, state: 'Trial', renewalQuantity: 2 }),
    });
    expect(seeded.status).toBe(201);
    expect((await post(url, 'renewal-type', { autoRenewal: false })).status).toBe(202);

    const listed = await json(await fetch(`${url}/_sandbox/subscriptions`));
    expect(listed.subscriptions).toEqual([
      expect.objectContaining({
        id: SUB,
        state: 'Trial',
        settings: { autoRenewal: true, renewalProductId: null, renewalQuantity: 2, renewalUnitPrice: null },
        pendingActions: [expect.objectContaining({ type: 'renewal-type', value: false })],
        acceptedCalls: 1,
      }),
    ]);

    sandbox.applyPendingActions();
    expect(sandbox.settingsFor(SUB)?.autoRenewal).toBe(false);
    sandbox.reset();
    expect(sandbox.subscriptions()).toEqual([]);
  });
});

/**
 * The canonical request, beyond canonical.test.ts: notBefore survives validation, each provider's
 * subscription reference at its edges (Punchh ids of every length up to 16 digits), the shapes
 * the params take (JWT, language, Punchh's term), and the words each 422 uses.
 */
import { describe, expect, it } from 'vitest';
import { parseCanonicalRequest, withoutSecrets } from '../../shared/domain/canonical';
import type { FieldError } from '../../shared/http/problem';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';
const SDK = { api: 'sdk', siteId: 1, planId: 3, customerToken: JWT };
const PUNCHH = { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 };

// Awaited: parseCanonicalRequest may become async (provider schemas loaded on first use).
const errorsOf = async (input: unknown): Promise<FieldError[]> => {
  const r = await parseCanonicalRequest(input);
  return r.ok ? [] : r.errors;
};
const subscriptionErrors = async (provider: string, subscription: string, params: unknown = {}) =>
  await errorsOf({ provider, operation: provider === 'digitalriver' ? 'renewal-type' : 'renew', subscription, params });

describe('notBefore', () => {
  it('is kept exactly as written, for every provider', async () => {
    const cases = [
      { provider: 'pressone', operation: 'renew', subscription: 'jane@example.com' },
      { provider: 'punchh', operation: 'renew', subscription: '40', params: PUNCHH },
      { provider: 'digitalriver', operation: 'renewal-quantity', subscription: 'sub-1', params: { renewalQuantity: 2 } },
    ];
    for (const request of cases) {
      const r = await parseCanonicalRequest({ ...request, notBefore: '2026-12-01T09:30:00+02:00' });
      expect(r.ok && r.value.notBefore, request.provider).toBe('2026-12-01T09:30:00+02:00');
    }
  });

  it('is absent, not undefined, when not given', async () => {
    const r = await parseCanonicalRequest({ provider: 'pressone', operation: 'renew', subscription: 'jane@example.com' });
    expect(r).toStrictEqual({ ok: true, value: { provider: 'pressone', operation: 'renew', subscription: 'jane@example.com', params: {} } });
  });

  it('needs a zone', async () => {
    expect((await errorsOf({ provider: 'pressone', operation: 'renew', subscription: 'a@b.co', notBefore: '2026-12-01T00:00:00' })).map((e) => e.path)).toEqual(['notBefore']);
  });
});

describe('subscription references', () => {
  it('PressOne: the email the number was claimed with', async () => {
    expect(await subscriptionErrors('pressone', 'jane')).toEqual([{ path: 'subscription', message: 'must be the email the number was claimed with' }]);
  });

  it('Pelcro: a positive int32, written without sign, zeros or other characters', async () => {
    for (const ok of ['1', '7', '77', '555', '2147483647']) expect(await subscriptionErrors('pelcro', ok, SDK), ok).toEqual([]);
    const notAnId = 'must be the Pelcro subscription id (a positive integer)';
    for (const bad of ['0', '012', '-5', '5x', 'x5', '1.5', '12345678901']) {
      expect(await subscriptionErrors('pelcro', bad, SDK), bad).toContainEqual({ path: 'subscription', message: notAnId });
    }
    expect(await subscriptionErrors('pelcro', '2147483648', SDK)).toEqual([{ path: 'subscription', message: 'must be the Pelcro subscription id (at most 2147483647)' }]);
  });

  it('Punchh: a positive safe integer of any length up to 16 digits', async () => {
    for (const ok of ['4', '40', '400', '4000001', '123456789012345', '9007199254740991']) expect(await subscriptionErrors('punchh', ok, PUNCHH), ok).toEqual([]);
    const notAnId = 'must be the Punchh subscription_id (a positive integer)';
    for (const bad of ['0', '040', '-40', '40a', 'a40', '4.0', '12345678901234567']) {
      expect(await subscriptionErrors('punchh', bad, PUNCHH), bad).toContainEqual({ path: 'subscription', message: notAnId });
    }
    expect(await subscriptionErrors('punchh', '9007199254740992', PUNCHH)).toEqual([
      { path: 'subscription', message: 'must be the Punchh subscription_id (at most 9007199254740991)' },
    ]);
  });

  it('Digital River: 1–100 letters, digits, ".", "_" or "-", nothing else', async () => {
    for (const ok of ['s', 'sub-1.a_B', 'a'.repeat(100)]) expect(await subscriptionErrors('digitalriver', ok, { autoRenewal: true }), ok).toEqual([]);
    for (const bad of ['sub 1', 'sub/1', '!sub', 'sub!', 'a'.repeat(101)]) {
      expect(await subscriptionErrors('digitalriver', bad, { autoRenewal: true }), bad).toEqual([{ path: 'subscription', message: 'must be the Digital River subId' }]);
    }
  });
});

describe('params', () => {
  it('the customer token must be JWT-shaped from its first character to its last', async () => {
    const tokenErrors = async (customerToken: string) => await subscriptionErrors('pelcro', '77', { ...SDK, customerToken });
    expect(await tokenErrors(JWT)).toEqual([]);
    for (const bad of [`x${JWT}`, `${JWT}!`, `${JWT}.extra!`, 'eyJa.eyJb', 'abc.eyJb.c']) {
      expect(await tokenErrors(bad), bad).toEqual([{ path: 'params.customerToken', message: 'must be a JWT (three base64url parts: header.payload.signature)' }]);
    }
  });

  it('language is two lower-case letters, nothing around them', async () => {
    expect(await subscriptionErrors('pelcro', '77', { ...SDK, language: 'fr' })).toEqual([]);
    for (const bad of ['fra', 'xfr', 'FR', 'f']) {
      expect(await subscriptionErrors('pelcro', '77', { ...SDK, language: bad }), bad).toEqual([{ path: 'params.language', message: 'must be an ISO 639-1 code such as "en"' }]);
    }
  });

  it('a campaign key says what it may hold, for either Pelcro call', async () => {
    const message = 'must be 3–191 letters, digits, "-" or "_"';
    expect(await subscriptionErrors('pelcro', '77', { ...SDK, campaignKey: 'a!' })).toEqual([{ path: 'params.campaignKey', message }]);
    const core = { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'API' };
    expect(await subscriptionErrors('pelcro', '77', { ...core, campaignKey: 'a b c' })).toEqual([{ path: 'params.campaignKey', message }]);
  });

  it('a Punchh term ends after it starts; an unreadable time is reported once, by its own check', async () => {
    expect(await subscriptionErrors('punchh', '40', { ...PUNCHH, endTime: PUNCHH.startTime })).toEqual([{ path: 'params.endTime', message: 'must be after startTime' }]);
    expect(await subscriptionErrors('punchh', '40', { ...PUNCHH, endTime: '2026-12-01T01:00:00+01:00' })).toEqual([{ path: 'params.endTime', message: 'must be after startTime' }]);
    expect((await subscriptionErrors('punchh', '40', { ...PUNCHH, startTime: 'soon' })).map((e) => e.path)).toEqual(['params.startTime']);
    expect((await subscriptionErrors('punchh', '40', { ...PUNCHH, endTime: 'later' })).map((e) => e.path)).toEqual(['params.endTime']);
  });

  it('the operation error lists what the provider offers', async () => {
    expect(await errorsOf({ provider: 'digitalriver', operation: 'renew', subscription: 'sub-1' })).toEqual([
      { path: 'operation', message: 'is not available for digitalriver; use one of: renewal-type, renewal-product, renewal-quantity, renewal-price' },
    ]);
  });

  it('withoutSecrets keeps every param but the customer token', async () => {
    expect(withoutSecrets({ ...SDK, language: 'fr' })).toEqual({ api: 'sdk', siteId: 1, planId: 3, language: 'fr' });
  });
});

import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createReadTokenCheck, createWebhookVerifier } from '../../shared/http/auth';
import { HttpError } from '../../shared/http/problem';

const secretA = `whsec_${Buffer.from('secret-a-0123456789').toString('base64')}`;
const secretB = `whsec_${Buffer.from('secret-b-0123456789').toString('base64')}`;
const body = Buffer.from('{"email":"a@b.co"}');
const sign = (secret: string, at = new Date(), payload = body) => ({
  id: 'msg_1',
  timestamp: String(Math.floor(at.getTime() / 1000)),
  signature: new Webhook(secret).sign('msg_1', at, payload.toString()),
});
const status = (fn: () => void): number | 'ok' => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof HttpError) return e.status;
    throw e;
  }
};

describe('webhook signatures', () => {
  const verify = createWebhookVerifier([secretA, secretB]);

  it('accepts a signature by any configured secret (rotation) and several signatures in one header', () => {
    expect(status(() => verify(body, sign(secretA)))).toBe('ok');
    expect(status(() => verify(body, sign(secretB)))).toBe('ok');
    const other = `whsec_${Buffer.from('not-configured-000').toString('base64')}`;
    const h = sign(secretB);
    expect(status(() => verify(body, { ...h, signature: `${sign(other).signature} ${h.signature}` }))).toBe('ok');
  });

  it('refuses a wrong secret, a changed body, missing headers and a timestamp over 300 s away', () => {
    const other = `whsec_${Buffer.from('not-configured-000').toString('base64')}`;
    expect(status(() => verify(body, sign(other)))).toBe(401);
    expect(status(() => verify(Buffer.from('{"email":"b@b.co"}'), sign(secretA)))).toBe(401);
    expect(status(() => verify(body, { ...sign(secretA), signature: undefined }))).toBe(401);
    expect(status(() => verify(body, sign(secretA, new Date(Date.now() - 600_000))))).toBe(401);
    expect(status(() => verify(body, sign(secretA, new Date(Date.now() + 600_000))))).toBe(401);
    expect(status(() => verify(body, { ...sign(secretA), timestamp: 'yesterday' }))).toBe(401);
  });

  it('refuses to start with a malformed secret', () => {
    expect(() => createWebhookVerifier(['plain-text'])).toThrow(/RENEWALS_WEBHOOK_SECRETS entry 1/);
    expect(() => createWebhookVerifier([])).toThrow(/RENEWALS_WEBHOOK_SECRETS/);
  });
});

describe('read tokens', () => {
  const check = createReadTokenCheck(['tok-1', 'tok-2']);
  it('accepts any configured token and refuses others', () => {
    expect(status(() => check('Bearer tok-2'))).toBe('ok');
    expect(status(() => check('bearer tok-1'))).toBe('ok');
    expect(status(() => check('Bearer nope'))).toBe(401);
    expect(status(() => check(undefined))).toBe(401);
    expect(status(() => check('Basic dG9rLTE='))).toBe(401);
  });
});

import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createBearerCheck, createReadTokenCheck, createWebhookVerifier, parseOperatorTokens, webhookKey, webhookSignature } from '../../shared/http/auth';
import { readSignedRequest } from '../../shared/http/signed-request';
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

  it('verifies over the exact bytes: a signed body that is not UTF-8 verifies, one changed byte does not', () => {
    // 0xff 0xfe never occur in UTF-8; decoding them first (as the reference library does) turns
    // both into U+FFFD, so the signature over the text would not be the one over the bytes.
    const bytes = Buffer.from([0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const at = String(Math.floor(Date.now() / 1000));
    const signed = { id: 'msg_bytes', timestamp: at, signature: `v1,${webhookSignature(webhookKey(secretA), 'msg_bytes', at, bytes)}` };
    expect(status(() => verify(bytes, signed))).toBe('ok');
    const changed = Buffer.from(bytes);
    changed[6] = 0xfd;
    expect(status(() => verify(changed, signed))).toBe(401);
    // Decoded text would have matched a different body: the check is not over text.
    expect(Buffer.from(bytes.toString('utf8')).equals(bytes)).toBe(false);
  });

  it('computes the signature the reference implementation computes for a UTF-8 body', () => {
    const at = new Date();
    const ts = String(Math.floor(at.getTime() / 1000));
    const text = '{"email":"zoë@example.com"}';
    expect(`v1,${webhookSignature(webhookKey(secretA), 'msg_ref', ts, Buffer.from(text))}`).toBe(new Webhook(secretA).sign('msg_ref', at, text));
  });

  it('refuses to start with a malformed secret', () => {
    expect(() => createWebhookVerifier(['plain-text'])).toThrow(/RENEWALS_WEBHOOK_SECRETS entry 1/);
    expect(() => createWebhookVerifier([])).toThrow(/RENEWALS_WEBHOOK_SECRETS/);
  });
});

describe('reading a signed request', () => {
  const verifier = createWebhookVerifier([secretA]);
  const verify = async (raw: Buffer, headers: Parameters<typeof verifier>[1]) => verifier(raw, headers);
  const event = (raw: Buffer, headers: Record<string, string>, base64 = true): APIGatewayProxyEventV2 =>
    ({ headers: { 'content-type': 'application/json', ...headers }, body: raw.toString(base64 ? 'base64' : 'utf8'), isBase64Encoded: base64 }) as unknown as APIGatewayProxyEventV2;
  const signedEvent = (raw: Buffer) => {
    const ts = String(Math.floor(Date.now() / 1000));
    return event(raw, { 'webhook-id': 'msg_r', 'webhook-timestamp': ts, 'webhook-signature': `v1,${webhookSignature(webhookKey(secretA), 'msg_r', ts, raw)}` });
  };
  const outcome = async (e: APIGatewayProxyEventV2) =>
    readSignedRequest(e, verify).then(
      (r) => r.body,
      (err: unknown) => (err instanceof HttpError ? { status: err.status, fields: err.errors?.map((f) => f.path) } : err),
    );

  it('answers a correctly signed body that is not UTF-8 with 400 naming the body, after the signature passed', async () => {
    const raw = Buffer.from('{"email":"\xff@example.com"}', 'latin1');
    expect(await outcome(signedEvent(raw))).toEqual({ status: 400, fields: ['(body)'] });
    // The same bytes under a signature that does not match stay a 401.
    const forged = signedEvent(raw);
    forged.headers['webhook-signature'] = 'v1,AAAA';
    expect(await outcome(forged)).toMatchObject({ status: 401 });
    expect(await outcome(signedEvent(Buffer.from('{"email":"zoë@example.com"}')))).toEqual({ email: 'zoë@example.com' });
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

describe('operator tokens (RENEWALS_OPERATOR_TOKENS)', () => {
  it('parses name=token pairs, a bare token as "operator", and refuses malformed entries without showing the token', () => {
    expect(parseOperatorTokens('alice=alice-token-123456 bob=bob-token-1234567')).toEqual([
      { name: 'alice', token: 'alice-token-123456' },
      { name: 'bob', token: 'bob-token-1234567' },
    ]);
    expect(parseOperatorTokens('generatedtokenvalue123456')).toEqual([{ name: 'operator', token: 'generatedtokenvalue123456' }]);
    for (const bad of ['=no-name-token-123456', 'alice=short', 'al ice=x', 'bad name!=long-enough-token-1234']) {
      let message = '';
      try {
        parseOperatorTokens(bad);
      } catch (error) {
        message = String(error);
      }
      expect(message).toMatch(/RENEWALS_OPERATOR_TOKENS entry 1/);
      expect(message).not.toMatch(/token-123456|short|long-enough/);
    }
    expect(() => parseOperatorTokens('  ')).toThrow(/holds no name=token pair/);
  });

  it('operator tokens read and act under their name; read tokens read but get 403 on actions; anything else 401', () => {
    const check = createBearerCheck(['read-token'], parseOperatorTokens('alice=alice-token-123456'));
    expect(check('Bearer alice-token-123456', 'operator')).toEqual({ role: 'operator', name: 'alice' });
    expect(check('Bearer alice-token-123456', 'read')).toEqual({ role: 'operator', name: 'alice' });
    expect(check('Bearer read-token', 'read')).toEqual({ role: 'read' });
    const status = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { status?: number }).status;
      }
      return 200;
    };
    expect(status(() => check('Bearer read-token', 'operator'))).toBe(403);
    expect(status(() => check('Bearer nope', 'operator'))).toBe(401);
    expect(status(() => check(undefined, 'read'))).toBe(401);
    expect(status(() => check('Basic alice-token-123456', 'operator'))).toBe(401);
  });
});

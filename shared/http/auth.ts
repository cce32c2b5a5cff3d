/**
 * Authentication for the public routes (docs/architecture.md#authentication): Standard Webhooks
 * signatures on writes, bearer read tokens on reads. Both compare in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, fromSecret, splitList, type SecretReader } from '../config';
import { forbidden, serviceUnavailable, unauthorized } from './problem';

export interface SignatureHeaders {
  readonly id?: string | undefined;
  readonly timestamp?: string | undefined;
  readonly signature?: string | undefined;
}

/** Checks a signed request; throws a 401 HttpError when it does not verify. */
export type WebhookVerifier = (rawBody: Buffer, headers: SignatureHeaders) => Promise<void>;
/** Checks `Authorization: Bearer <token>`; throws a 401 HttpError when it is not a valid token. */
export type ReadTokenCheck = (authorization: string | undefined) => Promise<void>;

/**
 * The current value of a secret the request is checked against. A secret that cannot be read
 * (Secrets Manager unreachable) is our outage, not the caller's error: 503, retry later.
 */
const current = async <T>(get: () => Promise<T>, what: string): Promise<T> => {
  try {
    return await get();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw serviceUnavailable(`The ${what} could not be read; retry shortly.`, 5, error);
  }
};

/**
 * Verifies with the current `RENEWALS_WEBHOOK_SECRETS`: a rotation needs no cold start. Read once
 * here, so a missing or malformed secret fails the cold start naming it.
 */
export const loadWebhookVerifier = async (read: SecretReader): Promise<WebhookVerifier> => {
  const verifier = fromSecret(read, 'RENEWALS_WEBHOOK_SECRETS', (value) => createWebhookVerifier(splitList(value)));
  await verifier();
  return async (rawBody, headers) => (await current(verifier, 'webhook secret'))(rawBody, headers);
};

/** Checks against the current `RENEWALS_READ_TOKENS`: a revoked token stops working without a cold start. */
export const loadReadTokenCheck = async (read: SecretReader): Promise<ReadTokenCheck> => {
  const check = fromSecret(read, 'RENEWALS_READ_TOKENS', (value) => createReadTokenCheck(splitList(value)));
  await check();
  return async (authorization) => (await current(check, 'read tokens'))(authorization);
};

/** How far `webhook-timestamp` may be from now, either way (Standard Webhooks' tolerance). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Standard Webhooks `v1` signature: base64(HMAC-SHA256(key, `${id}.${timestamp}.` + body bytes)).
 * Computed over the body's exact bytes: the reference library takes the payload as a string
 * (it turns a Buffer into UTF-8 text first), so a correctly signed body that is not valid UTF-8
 * would not verify there.
 */
export const webhookSignature = (key: Uint8Array, id: string, timestamp: string, rawBody: Uint8Array): string =>
  createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest('base64');

/** The key bytes of a `whsec_<base64>` secret. */
export const webhookKey = (secret: string, what = 'secret'): Buffer => {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) throw new ConfigError(`${what} is not a whsec_<base64> secret`);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length === 0) throw new ConfigError(`${what} is empty`);
  return key;
};

const sameText = (a: string, b: string): boolean => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Builds a verifier accepting a signature by any of these secrets (several during rotation). */
export const createWebhookVerifier = (
  secrets: readonly string[],
  nowMs: () => number = Date.now,
): ((rawBody: Buffer, headers: SignatureHeaders) => void) => {
  if (secrets.length === 0) throw new ConfigError('RENEWALS_WEBHOOK_SECRETS holds no secret');
  const keys = secrets.map((secret, i) => webhookKey(secret, `RENEWALS_WEBHOOK_SECRETS entry ${i + 1}`));
  return (rawBody, { id, timestamp, signature }) => {
    const missing = [!id && 'webhook-id', !timestamp && 'webhook-timestamp', !signature && 'webhook-signature'].filter(Boolean);
    if (missing.length > 0 || !id || !timestamp || !signature) throw unauthorized(`Missing signature headers: ${missing.join(', ')}.`);
    if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized('webhook-timestamp must be unix seconds.');
    // The timestamp check is the same for every secret: say so rather than "no match".
    if (Math.abs(Math.floor(nowMs() / 1000) - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
      throw unauthorized(`webhook-timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} seconds away from now.`);
    }
    const presented = signature
      .split(' ')
      .map((s) => /^v1,(.+)$/.exec(s)?.[1])
      .filter((s): s is string => s !== undefined);
    // Every secret against every presented signature, so timing does not tell which one matched.
    let ok = false;
    for (const key of keys) {
      const expected = webhookSignature(key, id, timestamp, rawBody);
      for (const p of presented) ok = sameText(p, expected) || ok;
    }
    if (!ok) throw unauthorized('No signature matches a configured secret.');
  };
};

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Checks `Authorization: Bearer <token>` against these read tokens. */
export const createReadTokenCheck = (tokens: readonly string[]): ((authorization: string | undefined) => void) => {
  if (tokens.length === 0) throw new ConfigError('RENEWALS_READ_TOKENS holds no token');
  const digests = tokens.map(digest);
  return (authorization: string | undefined): void => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw unauthorized('Send Authorization: Bearer <read token>.', 'Bearer');
    const presented = digest(match[1]);
    // Compare against every token, so timing does not tell which one (if any) matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, presented) || ok;
    if (!ok) throw unauthorized('The read token is not valid.', 'Bearer');
  };
};

/** Who presented a valid bearer token: a reader, or an operator by the name their token carries. */
export type Caller = { readonly role: 'read' } | { readonly role: 'operator'; readonly name: string };

/**
 * Checks `Authorization: Bearer <token>` against the read tokens and the operator tokens: no or an
 * unknown token → 401; a read token where an operator is needed → 403. Operator tokens also read.
 */
export type BearerCheck = (authorization: string | undefined, need: 'read' | 'operator') => Promise<Caller>;

/** A name in `RENEWALS_OPERATOR_TOKENS`: what history entries record as `by`. */
const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Operator tokens act on renewals: at least 16 characters (generated ones have 48). */
const MIN_OPERATOR_TOKEN_LENGTH = 16;

export interface OperatorToken {
  readonly name: string;
  readonly token: string;
}

/**
 * `RENEWALS_OPERATOR_TOKENS`: space-separated `name=token` pairs (a name may appear twice during a
 * rotation; a bare token, as the CDK stack generates, is named `operator`). Errors name the entry
 * by position, never by its value.
 */
export const parseOperatorTokens = (value: string): OperatorToken[] => {
  const entries = splitList(value);
  if (entries.length === 0) throw new ConfigError('RENEWALS_OPERATOR_TOKENS holds no name=token pair');
  return entries.map((entry, i) => {
    const eq = entry.indexOf('=');
    // A bare token (what the stack generates) acts as `operator`.
    const name = eq < 0 ? 'operator' : entry.slice(0, eq);
    const token = eq < 0 ? entry : entry.slice(eq + 1);
    if (!OPERATOR_NAME.test(name)) throw new ConfigError(`RENEWALS_OPERATOR_TOKENS entry ${i + 1} is not name=token with a name of letters, digits, . _ @ -`);
    if (token.length < MIN_OPERATOR_TOKEN_LENGTH) throw new ConfigError(`RENEWALS_OPERATOR_TOKENS entry ${i + 1} (${name}): the token must be at least ${MIN_OPERATOR_TOKEN_LENGTH} characters`);
    return { name, token };
  });
};

/** Builds the check from the current tokens of both kinds. */
export const createBearerCheck = (readTokens: readonly string[], operatorTokens: readonly OperatorToken[]) => {
  if (readTokens.length === 0) throw new ConfigError('RENEWALS_READ_TOKENS holds no token');
  const readers = readTokens.map(digest);
  const operators = operatorTokens.map((o) => ({ name: o.name, digest: digest(o.token) }));
  return (authorization: string | undefined, need: 'read' | 'operator'): Caller => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const kind = need === 'operator' ? 'operator token' : 'read or operator token';
    if (!match?.[1]) throw unauthorized(`Send Authorization: Bearer <${kind}>.`, 'Bearer');
    const presented = digest(match[1]);
    // Every token of both kinds is compared, so timing tells neither which one nor which kind matched.
    let reader = false;
    let operator: string | undefined;
    for (const d of readers) reader = timingSafeEqual(d, presented) || reader;
    for (const o of operators) if (timingSafeEqual(o.digest, presented)) operator ??= o.name;
    if (operator !== undefined) return { role: 'operator', name: operator };
    if (!reader) throw unauthorized('The token is not valid.', 'Bearer');
    if (need === 'operator') throw forbidden('A read token cannot act on renewals or providers; send an operator token (RENEWALS_OPERATOR_TOKENS).');
    return { role: 'read' };
  };
};

/**
 * Checks against the current `RENEWALS_READ_TOKENS` and `RENEWALS_OPERATOR_TOKENS` (both read here
 * first, so a missing or malformed one fails the cold start naming it; then per request, from the
 * reader's cache, so a rotation or revocation takes effect without a cold start).
 */
export const loadBearerCheck = async (read: SecretReader): Promise<BearerCheck> => {
  const readTokens = fromSecret(read, 'RENEWALS_READ_TOKENS', splitList);
  const operatorTokens = fromSecret(read, 'RENEWALS_OPERATOR_TOKENS', parseOperatorTokens);
  let last: { readonly r: readonly string[]; readonly o: readonly OperatorToken[]; readonly check: ReturnType<typeof createBearerCheck> } | undefined;
  const build = async () => {
    const [r, o] = await Promise.all([readTokens(), operatorTokens()]);
    if (last?.r !== r || last.o !== o) last = { r, o, check: createBearerCheck(r, o) };
    return last.check;
  };
  await build();
  return async (authorization, need) => (await current(build, 'bearer tokens'))(authorization, need);
};

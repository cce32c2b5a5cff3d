/**
 * Just enough JWT (RFC 7519, compact JWS) for the Pelcro sandbox: checking a customer token the way
 * Pelcro would, short of knowing Pelcro's signing key, and minting tokens for tests and for
 * Pelcro's "customer resource with a fresh JWT" answer.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Readonly<Record<string, unknown>>;

export type JwtCheck =
  | { readonly ok: true; readonly claims: JwtClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad-signature' | 'expired' };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

const decodeJsonObject = (part: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const hs256 = (signingInput: string, secret: string): Buffer => createHmac('sha256', secret).update(signingInput).digest();

/**
 * Structure (three base64url parts; header and payload JSON objects; an `alg` other than `none`,
 * since an unsigned token is never a credential), then, only when `secret` is given, an HS256
 * signature, then `exp` (seconds since the epoch; a token without one does not expire, as in
 * RFC 7519). A non-numeric `exp` makes the token malformed.
 */
export const checkJwt = (token: string, now: Date, secret?: string): JwtCheck => {
  const parts = token.split('.');
  const [headerPart, payloadPart, signaturePart] = parts;
  if (parts.length !== 3 || headerPart === undefined || payloadPart === undefined || signaturePart === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) {
    return { ok: false, reason: 'malformed' };
  }
  const header = decodeJsonObject(headerPart);
  const claims = decodeJsonObject(payloadPart);
  if (!header || !claims || typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') {
    return { ok: false, reason: 'malformed' };
  }
  if (secret !== undefined) {
    const expected = hs256(`${headerPart}.${payloadPart}`, secret);
    const given = Buffer.from(signaturePart, 'base64url');
    if (header.alg !== 'HS256' || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'bad-signature' };
    }
  }
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return { ok: false, reason: 'malformed' };
    if (claims.exp * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  }
  return { ok: true, claims };
};

/** An HS256-signed compact JWT with these claims. */
export const signJwt = (claims: JwtClaims, secret: string): string => {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const signingInput = `${encode({ typ: 'JWT', alg: 'HS256' })}.${encode(claims)}`;
  return `${signingInput}.${hs256(signingInput, secret).toString('base64url')}`;
};

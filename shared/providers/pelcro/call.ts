/**
 * Pelcro's calls (docs/providers.md), in its two variants:
 * - SDK (on-session): `POST {base}/api/v1/sdk/subscription/renew?site_id=N`, authorized by the
 *   signed-in customer's JWT, which the gateway passes through from the upstream request;
 * - Core (server-to-server): `POST {base}/api/v1/core/subscriptions/renew?site_id=N&user_id=M`,
 *   authorized by the account API key (`PELCRO_API_KEY`).
 * Not idempotent: every renew adds a phase.
 */
import * as z from '../../zod';
import type { QueuedRenewal } from '../../domain/renewal';
import { sanitizeText } from '../../domain/sanitize';
import { classifyNetwork, parseJson, parseRetryAfter } from '../http-status';
import type { CallPart } from '../parts';
import { queuedParams } from '../queued-params';
import type { CallResult, Classification, ProviderConfig } from '../types';
import { canonical, INT32_MAX, type PelcroParams } from './canonical';
import { copyFields, PELCRO_CORE_FIELDS, PELCRO_SDK_FIELDS } from './fields';

export const SDK_RENEW_PATH = '/api/v1/sdk/subscription/renew';
export const CORE_RENEW_PATH = '/api/v1/core/subscriptions/renew';

/** Joins a base URL (maybe with a path prefix and a trailing slash) and an absolute path. */
const urlFor = (baseUrl: string, path: string, query: Readonly<Record<string, number>>): string => {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  return `${baseUrl.replace(/\/+$/, '')}${path}?${search.toString()}`;
};

/** Checked again at call time (queuedParams); errors name paths, never values: the params hold the customer's JWT. */
const pelcroParams = (renewal: QueuedRenewal): PelcroParams => queuedParams(renewal, 'Pelcro', canonical.params.renew, 'pelcro/renew');

const subscriptionIdOf = (renewal: QueuedRenewal): number => {
  const id = Number(renewal.subscription);
  if (!/^[1-9][0-9]*$/.test(renewal.subscription) || id > INT32_MAX) {
    throw new Error(`renewal ${renewal.id}: Pelcro subscription_id must be a positive int32`);
  }
  return id;
};

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;

export const buildPelcroRequest = (renewal: QueuedRenewal, { baseUrl, secrets }: ProviderConfig) => {
  const params = pelcroParams(renewal);
  const subscriptionId = subscriptionIdOf(renewal);
  if (params.api === 'sdk') {
    return {
      method: 'POST' as const,
      url: urlFor(baseUrl, SDK_RENEW_PATH, { site_id: params.siteId }),
      // The customer's own token: this variant acts on the customer's behalf, on-session.
      headers: { ...JSON_HEADERS, authorization: `Bearer ${params.customerToken}` },
      body: JSON.stringify({ subscription_id: subscriptionId, ...copyFields(params, PELCRO_SDK_FIELDS, 'to-native') }),
    };
  }
  return {
    method: 'POST' as const,
    url: urlFor(baseUrl, CORE_RENEW_PATH, { site_id: params.siteId, user_id: params.userId }),
    headers: { ...JSON_HEADERS, authorization: `Bearer ${secrets.PELCRO_API_KEY ?? ''}` },
    body: JSON.stringify({ subscription_id: subscriptionId, ...copyFields(params, PELCRO_CORE_FIELDS, 'to-native') }),
  };
};

/**
 * Pelcro's error shapes (both variants): `{"errors": {"<field>": ["message"]}}`,
 * `{"message": "..."}`, `{"error": {"status": 400, "message": "..."}}` (and a bare `{"error": "..."}`).
 * Each part is read on its own (`catch`), so one odd field does not hide the others.
 */
const maybe = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);
const pelcroErrorBody = z.looseObject({
  message: maybe(z.string()),
  error: maybe(z.union([z.string(), z.looseObject({ message: maybe(z.string()) })])),
  errors: maybe(z.record(z.string(), z.union([z.string(), z.array(z.unknown())]))),
});

/** The provider's own messages, never the body itself (a 200 carries a fresh customer JWT). */
export const pelcroMessages = (body: string): string[] => {
  const parsed = pelcroErrorBody.safeParse(parseJson(body));
  if (!parsed.success) return [];
  const { message, error, errors } = parsed.data;
  const out: string[] = [];
  if (message) out.push(message);
  if (typeof error === 'string') out.push(error);
  else if (error?.message) out.push(error.message);
  for (const [field, value] of Object.entries(errors ?? {})) {
    const texts = (Array.isArray(value) ? value : [value]).filter((t): t is string => typeof t === 'string');
    if (texts.length > 0) out.push(`${field}: ${texts.join(' ')}`);
  }
  return out;
};

interface Rule {
  /** One status or an inclusive range; the first matching row wins. */
  readonly status: number | readonly [number, number];
  readonly class: Classification['class'];
  /** What the status means, used when the body says nothing readable. */
  readonly note: string;
  /** Whether the body's messages may be quoted (never for a 2xx: it holds a customer JWT). */
  readonly quote: boolean;
}

/** 1xx/3xx (redirects are not followed): the base URL or a proxy is misconfigured; a person looks. Also any status no row names. */
const UNEXPECTED: Rule = { status: [100, 399], class: 'auth', note: 'unexpected answer from Pelcro: check PELCRO_BASE_URL', quote: false };

/** Every documented Pelcro answer (docs/providers.md "Errors (both)"), then the catch-alls. */
export const PELCRO_RULES: readonly Rule[] = [
  { status: [200, 299], class: 'success', note: 'Pelcro renewed the subscription', quote: false },
  { status: 400, class: 'permanent', note: 'Pelcro rejected the request (validation or business rule)', quote: true },
  { status: 401, class: 'auth', note: 'Pelcro asked for a token (none was accepted)', quote: true },
  { status: 403, class: 'auth', note: 'Pelcro refused the token (invalid or expired)', quote: true },
  { status: 404, class: 'permanent', note: 'Pelcro does not know the subscription, plan or coupon', quote: true },
  // Undocumented, but the same meaning as everywhere in the gateway
  // (docs/architecture.md#response-classification-and-retries).
  { status: 409, class: 'permanent', note: 'Pelcro reported a conflict', quote: true },
  { status: 422, class: 'permanent', note: 'Pelcro rejected the request', quote: true },
  { status: 429, class: 'retryable', note: 'Pelcro rate limit (120 calls per minute per account)', quote: true },
  { status: 503, class: 'retryable', note: 'Pelcro is unavailable', quote: true },
  { status: [500, 599], class: 'ambiguous', note: 'Pelcro server error: the renewal may or may not have been applied', quote: true },
  { status: [400, 499], class: 'permanent', note: 'Pelcro rejected the request', quote: true },
  UNEXPECTED,
];

const matches = (rule: Rule, status: number): boolean =>
  typeof rule.status === 'number' ? rule.status === status : status >= rule.status[0] && status <= rule.status[1];

export const classifyPelcro = (result: CallResult): Classification => {
  if (result.kind !== 'response') return classifyNetwork(result);
  const { status } = result;
  const rule = PELCRO_RULES.find((r) => matches(r, status)) ?? UNEXPECTED;
  const cls = rule.class;
  const quoted = rule.quote ? pelcroMessages(result.body) : [];
  const retryAfter = cls === 'retryable' ? parseRetryAfter(result.headers['retry-after']) : undefined;
  return {
    class: cls,
    httpStatus: status,
    message: sanitizeText(quoted.length > 0 ? quoted.join('; ') : `${rule.note} (HTTP ${status})`),
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  };
};

export const call: CallPart = {
  idempotentCall: false,
  buildRequest: buildPelcroRequest,
  classify: classifyPelcro,
};

/**
 * Pelcro "Renew subscription" (PROVIDERS.md), in its two variants:
 * - SDK (on-session): `POST {base}/api/v1/sdk/subscription/renew?site_id=N`, authorized by the
 *   signed-in customer's JWT, which the gateway passes through from the upstream request;
 * - Core (server-to-server): `POST {base}/api/v1/core/subscriptions/renew?site_id=N&user_id=M`,
 *   authorized by the account API key (`PELCRO_API_KEY`).
 * Both share `params.api` as the discriminator of the canonical `pelcro/renew` params.
 * Not idempotent: every renew adds a phase.
 */
import * as z from 'zod';
import {
  CAMPAIGN_KEY,
  JWT_SHAPE,
  JWT_SHAPE_MESSAGE,
  PARAMS_SCHEMAS,
  PELCRO_PAYMENT_GATEWAYS,
  issuesToFieldErrors,
  parseCanonicalRequest,
  type CanonicalRequest,
  type ParamsFor,
} from '../domain/canonical';
import type { QueuedRenewal } from '../domain/renewal';
import { sanitizeText } from '../domain/sanitize';
import type { FieldError } from '../http/problem';
import { classifyNetwork, parseJson, parseRetryAfter } from './http-status';
import type { CallResult, Classification, Normalizer, ProviderConfig, ProviderModule } from './types';

/** Pelcro documents its ids and quantity as int32. */
const INT32_MAX = 2_147_483_647;

/** Zod's default text for a missing field names a type; callers understand "is required" better. */
const required = { error: (issue: { readonly input?: unknown }) => (issue.input === undefined ? 'is required' : undefined) };

/** Every Pelcro id and the quantity: a positive int32 (the canonical schema also wants ≥ 1). */
const int32 = () => z.int(required).min(1, 'must be a positive integer').max(INT32_MAX, `must be at most ${INT32_MAX} (int32)`);
const campaignKey = () => z.string().regex(CAMPAIGN_KEY, 'must be 3–191 letters, digits, "-" or "_"');
const nonEmpty = () => z.string().min(1, 'must not be empty');

/** Query parameters arrive as strings; Pelcro wants positive int32 values. */
const queryInt = () =>
  z
    .string(required)
    // Abort here: a non-number has nothing else to say about its size.
    .regex(/^[1-9][0-9]{0,9}$/, { message: 'must be a positive integer', abort: true })
    .refine((s) => Number(s) <= INT32_MAX, `must be at most ${INT32_MAX} (int32)`)
    .transform(Number);

/** The SDK body exactly as Pelcro documents it (the drop-in route accepts exactly this). */
export const pelcroSdkRenewBody = z.strictObject({
  plan_id: int32(),
  subscription_id: int32(),
  // The canonical schema wants the lower-case two-letter form; checking it here names `language`.
  language: z.string().regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as "en"').optional(),
  payment_gateway: z.enum(PELCRO_PAYMENT_GATEWAYS).optional(),
  gateway_token: nonEmpty().optional(),
  address_id: int32().optional(),
  source_id: int32().optional(),
  campaign_key: campaignKey().optional(),
  coupon_code: nonEmpty().optional(),
  quantity: int32().optional(),
  source: nonEmpty().optional(),
  replace_upcoming_phases: z.boolean().optional(),
});
export type PelcroSdkRenewBody = z.output<typeof pelcroSdkRenewBody>;

/** Unknown query parameters are ignored, as Pelcro ignores them; only `site_id` is read. */
export const pelcroSdkQuery = z.object({ site_id: queryInt() });

export const PELCRO_COLLECTION_METHODS = ['charge_automatically', 'send_invoice'] as const;

/** The Core body exactly as Pelcro documents it. */
export const pelcroCoreRenewBody = z
  .strictObject({
    subscription_id: int32(),
    plan_id: int32(),
    quantity: int32(),
    source: z.string(required).min(1, 'must not be empty'),
    address_id: int32().optional(),
    auto_renew: z.boolean().optional(),
    campaign_key: campaignKey().optional(),
    coupon_code: nonEmpty().optional(),
    replace_upcoming_phases: z.boolean().optional(),
    collection_method: z.enum(PELCRO_COLLECTION_METHODS).optional(),
    source_id: int32().optional(),
  })
  .superRefine((b, ctx) => {
    if (b.collection_method === 'charge_automatically' && b.source_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['source_id'], message: 'is required when collection_method is charge_automatically' });
    }
  });
export type PelcroCoreRenewBody = z.output<typeof pelcroCoreRenewBody>;

export const pelcroCoreQuery = z.object({ site_id: queryInt(), user_id: queryInt() });

type PelcroParams = ParamsFor<'pelcro/renew'>;
type SdkParams = Extract<PelcroParams, { api: 'sdk' }>;
type CoreParams = Extract<PelcroParams, { api: 'core' }>;

/**
 * Pelcro's body field ↔ canonical param, in the order Pelcro documents them. One table serves
 * both directions (normalize and build), so a field cannot be read but not sent, or vice versa.
 * `subscription_id` is not here: it becomes the canonical `subscription`.
 */
export const PELCRO_SDK_FIELDS = [
  ['plan_id', 'planId'],
  ['language', 'language'],
  ['payment_gateway', 'paymentGateway'],
  ['gateway_token', 'gatewayToken'],
  ['address_id', 'addressId'],
  ['source_id', 'sourceId'],
  ['campaign_key', 'campaignKey'],
  ['coupon_code', 'couponCode'],
  ['quantity', 'quantity'],
  ['source', 'source'],
  ['replace_upcoming_phases', 'replaceUpcomingPhases'],
] as const satisfies ReadonlyArray<readonly [Exclude<keyof PelcroSdkRenewBody, 'subscription_id'>, keyof SdkParams]>;

export const PELCRO_CORE_FIELDS = [
  ['plan_id', 'planId'],
  ['quantity', 'quantity'],
  ['source', 'source'],
  ['address_id', 'addressId'],
  ['auto_renew', 'autoRenew'],
  ['campaign_key', 'campaignKey'],
  ['coupon_code', 'couponCode'],
  ['replace_upcoming_phases', 'replaceUpcomingPhases'],
  ['collection_method', 'collectionMethod'],
  ['source_id', 'sourceId'],
] as const satisfies ReadonlyArray<readonly [Exclude<keyof PelcroCoreRenewBody, 'subscription_id'>, keyof CoreParams]>;

const copyFields = (
  from: Readonly<Record<string, unknown>>,
  fields: ReadonlyArray<readonly [string, string]>,
  direction: 'to-canonical' | 'to-native',
): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [native, canonical] of fields) {
    const [src, dst] = direction === 'to-canonical' ? [native, canonical] : [canonical, native];
    // Absent optional fields stay absent: Pelcro applies its own defaults (stripe, quantity 1…).
    if (from[src] !== undefined) out[dst] = from[src];
  }
  return out;
};

/** RFC 7235 token68 after the (case-insensitive) `Bearer` scheme. */
const BEARER_HEADER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The customer's JWT, passed through exactly as Pelcro expects it. Messages never echo the
 * header: it is a secret.
 */
const customerToken = (header: string | undefined): { ok: true; token: string } | { ok: false; error: FieldError } => {
  const path = 'headers.authorization';
  if (header === undefined || header.trim() === '') {
    return { ok: false, error: { path, message: 'is required: the signed-in customer\'s Pelcro token as "Bearer <token>"' } };
  }
  const match = BEARER_HEADER.exec(header);
  if (!match?.[1]) return { ok: false, error: { path, message: 'must be "Bearer <token>" with the signed-in customer\'s Pelcro token' } };
  if (!JWT_SHAPE.test(match[1])) return { ok: false, error: { path, message: `the Bearer token ${JWT_SHAPE_MESSAGE}` } };
  return { ok: true, token: match[1] };
};

/** `POST /v1/providers/pelcro/subscription/renew?site_id=N` with the SDK body and the customer's JWT. */
export const normalizePelcroSdk: Normalizer = ({ body, query, headers }) => {
  const errors: FieldError[] = [];
  const parsedBody = pelcroSdkRenewBody.safeParse(body);
  if (!parsedBody.success) errors.push(...issuesToFieldErrors(parsedBody.error.issues));
  const parsedQuery = pelcroSdkQuery.safeParse(query);
  if (!parsedQuery.success) errors.push(...issuesToFieldErrors(parsedQuery.error.issues, ['query']));
  const token = customerToken(headers.authorization);
  if (!token.ok) errors.push(token.error);
  if (!parsedBody.success || !parsedQuery.success || !token.ok) return { ok: false, errors };

  const canonical: CanonicalRequest = {
    provider: 'pelcro',
    operation: 'renew',
    subscription: String(parsedBody.data.subscription_id),
    params: {
      api: 'sdk',
      siteId: parsedQuery.data.site_id,
      customerToken: token.token,
      ...copyFields(parsedBody.data, PELCRO_SDK_FIELDS, 'to-canonical'),
    },
  };
  return parseCanonicalRequest(canonical);
};

/** `POST /v1/providers/pelcro/core/subscriptions/renew?site_id=N&user_id=M` with the Core body. */
export const normalizePelcroCore: Normalizer = ({ body, query }) => {
  const errors: FieldError[] = [];
  const parsedBody = pelcroCoreRenewBody.safeParse(body);
  if (!parsedBody.success) errors.push(...issuesToFieldErrors(parsedBody.error.issues));
  const parsedQuery = pelcroCoreQuery.safeParse(query);
  if (!parsedQuery.success) errors.push(...issuesToFieldErrors(parsedQuery.error.issues, ['query']));
  if (!parsedBody.success || !parsedQuery.success) return { ok: false, errors };

  const canonical: CanonicalRequest = {
    provider: 'pelcro',
    operation: 'renew',
    subscription: String(parsedBody.data.subscription_id),
    params: {
      api: 'core',
      siteId: parsedQuery.data.site_id,
      userId: parsedQuery.data.user_id,
      ...copyFields(parsedBody.data, PELCRO_CORE_FIELDS, 'to-canonical'),
    },
  };
  return parseCanonicalRequest(canonical);
};

export const SDK_RENEW_PATH = '/api/v1/sdk/subscription/renew';
export const CORE_RENEW_PATH = '/api/v1/core/subscriptions/renew';

/** Joins a base URL (maybe with a path prefix and a trailing slash) and an absolute path. */
const urlFor = (baseUrl: string, path: string, query: Readonly<Record<string, number>>): string => {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  return `${baseUrl.replace(/\/+$/, '')}${path}?${search.toString()}`;
};

/**
 * The queued message was validated at intake; it is checked again because a message that does
 * not match the contract must not turn into a half-formed call. Errors name paths, never values
 * (the params hold the customer's JWT).
 */
const pelcroParams = (renewal: QueuedRenewal): PelcroParams => {
  if (renewal.provider !== 'pelcro' || renewal.operation !== 'renew') {
    throw new Error(`renewal ${renewal.id} is ${renewal.provider}/${renewal.operation}, not pelcro/renew`);
  }
  const parsed = PARAMS_SCHEMAS['pelcro/renew'].safeParse(renewal.params);
  if (!parsed.success) {
    const paths = issuesToFieldErrors(parsed.error.issues, ['params']).map((e) => e.path);
    throw new Error(`renewal ${renewal.id} has invalid Pelcro params: ${paths.join(', ')}`);
  }
  return parsed.data;
};

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
const pelcroErrorBody = z.looseObject({
  message: z.string().optional().catch(undefined),
  error: z
    .union([z.string(), z.looseObject({ message: z.string().optional().catch(undefined) })])
    .optional()
    .catch(undefined),
  errors: z
    .record(z.string(), z.union([z.string(), z.array(z.unknown())]))
    .optional()
    .catch(undefined),
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

/** Every documented Pelcro answer (PROVIDERS.md "Errors (both)"), then the catch-alls. */
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
  // 1xx/3xx (redirects are not followed): the base URL or a proxy is misconfigured; a person looks.
  { status: [100, 399], class: 'auth', note: 'unexpected answer from Pelcro: check PELCRO_BASE_URL', quote: false },
];

const matches = (rule: Rule, status: number): boolean =>
  typeof rule.status === 'number' ? rule.status === status : status >= rule.status[0] && status <= rule.status[1];

export const classifyPelcro = (result: CallResult): Classification => {
  if (result.kind !== 'response') return classifyNetwork(result);
  const { status } = result;
  const rule = PELCRO_RULES.find((r) => matches(r, status)) ?? PELCRO_RULES[PELCRO_RULES.length - 1];
  const cls = rule?.class ?? 'auth';
  const quoted = rule?.quote ? pelcroMessages(result.body) : [];
  const retryAfter = cls === 'retryable' ? parseRetryAfter(result.headers['retry-after']) : undefined;
  return {
    class: cls,
    httpStatus: status,
    // Mutation testing: `rule` is never undefined (the last row is the fallback), so the
    // 'unexpected answer' default is never reached (an equivalent mutant, without coverage).
    message: sanitizeText(quoted.length > 0 ? quoted.join('; ') : `${rule?.note ?? 'unexpected answer'} (HTTP ${status})`),
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  };
};

export const pelcro: ProviderModule = {
  idempotentCall: false,
  buildRequest: buildPelcroRequest,
  classify: classifyPelcro,
};

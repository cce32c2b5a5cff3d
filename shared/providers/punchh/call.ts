/**
 * Punchh's call (docs/providers.md): `POST {base}/api2/dashboard/subscriptions/renew` with
 * `{subscription_id, start_time, end_time, purchase_price, new_plan_id?}` and the business admin key.
 * Not idempotent and no read API: the term (start_time, end_time) is the dedupe key (`periodOf`).
 */
import * as z from '../../zod';
import type { QueuedRenewal } from '../../domain/renewal';
import { sanitizeText } from '../../domain/sanitize';
import { classifyNetwork, parseJson, parseRetryAfter } from '../http-status';
import type { CallPart } from '../parts';
import { queuedParams } from '../queued-params';
import type { CallResult, Classification, OutgoingRequest, ProviderConfig } from '../types';
import { canonical } from './canonical';

export const RENEW_PATH = '/api2/dashboard/subscriptions/renew';
export const USER_AGENT = 'renewal-gateway/1.0';

type PunchhParams = z.output<typeof canonical.params.renew>;

/** Checked again at call time: a message off the contract must not become a half-formed call. */
const punchhParams = (renewal: QueuedRenewal): PunchhParams => queuedParams(renewal, 'Punchh', canonical.params.renew, 'punchh/renew');

const subscriptionIdOf = (renewal: QueuedRenewal): number => {
  const id = Number(renewal.subscription);
  // The canonical reference allows 16 digits, more than a double holds exactly: refuse to round.
  if (!/^[1-9][0-9]*$/.test(renewal.subscription) || !Number.isSafeInteger(id)) {
    throw new Error(`renewal ${renewal.id}: Punchh subscription_id must be a positive safe integer`);
  }
  return id;
};

export const buildPunchhRequest = (renewal: QueuedRenewal, { baseUrl, secrets }: ProviderConfig): OutgoingRequest => {
  const p = punchhParams(renewal);
  return {
    method: 'POST',
    url: `${baseUrl.replace(/\/+$/, '')}${RENEW_PATH}`,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${secrets.PUNCHH_ADMIN_KEY ?? ''}`,
      // Punchh asks callers to identify themselves.
      'user-agent': USER_AGENT,
    },
    // Times are sent as the caller wrote them: the term is the caller's, not a reformatting of it.
    body: JSON.stringify({
      subscription_id: subscriptionIdOf(renewal),
      start_time: p.startTime,
      end_time: p.endTime,
      purchase_price: p.purchasePrice,
      // Stryker disable next-line ConditionalExpression: JSON.stringify leaves out a key whose value is undefined, so `true` sends the same body
      ...(p.newPlanId !== undefined ? { new_plan_id: p.newPlanId } : {}),
    }),
  };
};

const instant = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/**
 * The term as `{subscription}:{start}/{end}` (an ISO 8601 interval) in UTC milliseconds, so
 * `2026-12-01T00:00:00Z` and `2026-12-01T01:00:00.000+01:00` are the same period.
 */
export const punchhPeriodOf = (renewal: QueuedRenewal): string | undefined => {
  const start = instant(renewal.params.startTime);
  const end = instant(renewal.params.endTime);
  if (!start || !end) return undefined;
  return `${renewal.subscription}:${start}/${end}`;
};

/** Punchh's documented answer shapes; each part is read on its own (`catch`). */
const maybe = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);
const punchhBody = z.looseObject({
  // 200
  subscription_id: maybe(z.number()),
  start_time: maybe(z.string()),
  end_time: maybe(z.string()),
  // 401
  error: maybe(z.string()),
  // 406: the prose names `invalid_subscription`, the schema `invalid`.
  invalid_subscription: maybe(z.string()),
  invalid: maybe(z.string()),
  // 422: `base`, field errors (`start_time`, `end_time`, `price`), or `disabled_feature`.
  errors: maybe(z.record(z.string(), z.unknown())),
  message: maybe(z.string()),
});
type PunchhBody = z.output<typeof punchhBody>;

const readBody = (body: string): PunchhBody => {
  const parsed = punchhBody.safeParse(parseJson(body));
  return parsed.success ? parsed.data : {};
};

const texts = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((t): t is string => typeof t === 'string' && t.length > 0);

/** The provider's own messages, never the body itself. */
export const punchhMessages = (b: PunchhBody): string[] => {
  const out: string[] = [];
  for (const text of [b.error, b.invalid_subscription, b.invalid, b.message]) if (text) out.push(text);
  for (const [field, value] of Object.entries(b.errors ?? {})) {
    const said = texts(value);
    if (said.length === 0) continue;
    // `base` errors are about the request as a whole: Punchh's text says it all.
    out.push(field === 'base' ? said.join(' ') : `${field}: ${said.join(' ')}`);
  }
  return out;
};

const hasError = (key: string) => (b: PunchhBody) => b.errors?.[key] !== undefined;

interface Rule {
  /** One status or an inclusive range; the first matching row wins. */
  readonly status: number | readonly [number, number];
  /** Where one status means different things, the body decides. */
  readonly when?: (body: PunchhBody) => boolean;
  readonly class: Classification['class'];
  /** What the answer means, used when the body says nothing readable. */
  readonly note: string;
}

/** Every documented Punchh answer (docs/providers.md), then the catch-alls. */
export const PUNCHH_RULES: readonly Rule[] = [
  // Stryker disable next-line StringLiteral: a success's message comes from successMessage, never from this note
  { status: [200, 299], class: 'success', note: 'Punchh renewed the subscription' },
  // Never retried: 10 failed sign-ins in 10 minutes block the gateway's IP for an hour.
  { status: 401, class: 'auth', note: 'Punchh refused the business admin key' },
  { status: 403, class: 'auth', note: 'Punchh refused the business admin key' },
  { status: 406, when: (b) => b.invalid_subscription !== undefined || b.invalid !== undefined, class: 'permanent', note: 'Punchh: invalid user subscription' },
  { status: 406, class: 'permanent', note: 'Punchh cannot renew this subscription' },
  // A feature switched off for the brand: configuration at Punchh, not a bad request.
  { status: 422, when: hasError('disabled_feature'), class: 'auth', note: 'the feature is disabled for this brand at Punchh' },
  { status: 422, when: hasError('base'), class: 'permanent', note: 'Punchh refused the plan' },
  { status: 422, class: 'permanent', note: 'Punchh rejected a field of the request' },
  { status: 400, class: 'permanent', note: 'Punchh rejected the request' },
  { status: 404, class: 'permanent', note: 'Punchh does not know the subscription' },
  { status: 409, class: 'permanent', note: 'Punchh reported a conflict' },
  // 429 and 5xx are not documented by Punchh; the gateway-wide meaning applies
  // (docs/architecture.md#response-classification-and-retries).
  { status: 429, class: 'retryable', note: 'Punchh rate limit' },
  { status: 503, class: 'retryable', note: 'Punchh is unavailable' },
  { status: [500, 599], class: 'ambiguous', note: 'Punchh server error: the renewal may or may not have been applied' },
  { status: [400, 499], class: 'permanent', note: 'Punchh rejected the request' },
  // 1xx/3xx (redirects are not followed): the per-brand host is misconfigured; a person looks.
  { status: [100, 399], class: 'auth', note: 'unexpected answer from Punchh: check PUNCHH_BASE_URL' },
];

const matches = (rule: Rule, status: number, body: PunchhBody): boolean =>
  (typeof rule.status === 'number' ? rule.status === status : status >= rule.status[0] && status <= rule.status[1]) &&
  (rule.when?.(body) ?? true);

const successMessage = (b: PunchhBody): string =>
  b.subscription_id !== undefined && b.start_time && b.end_time
    ? `Punchh renewed subscription ${b.subscription_id} from ${b.start_time} to ${b.end_time}`
    : 'Punchh renewed the subscription';

export const classifyPunchh = (result: CallResult): Classification => {
  if (result.kind !== 'response') return classifyNetwork(result);
  const { status } = result;
  const body = readBody(result.body);
  const rule = PUNCHH_RULES.find((r) => matches(r, status, body));
  const cls = rule?.class ?? 'auth';
  const failureMessage = (): string => {
    const said = punchhMessages(body);
    return said.length > 0 ? said.join('; ') : `${rule?.note ?? 'unexpected answer from Punchh'} (HTTP ${status})`;
  };
  const retryAfter = cls === 'retryable' ? parseRetryAfter(result.headers['retry-after']) : undefined;
  return {
    class: cls,
    httpStatus: status,
    message: sanitizeText(cls === 'success' ? successMessage(body) : failureMessage()),
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  };
};

export const call: CallPart = {
  idempotentCall: false,
  buildRequest: buildPunchhRequest,
  classify: classifyPunchh,
  periodOf: punchhPeriodOf,
};

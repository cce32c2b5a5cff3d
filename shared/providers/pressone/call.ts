/**
 * PressOne's call (docs/providers.md): `POST {base}/api/third-party/partner/renew-number/` with
 * `{email}` and both auth headers; its answers; and List User, which confirms an ambiguous one.
 */
import * as z from '../../zod';
import { sanitizeText } from '../../domain/sanitize';
import { classifyNetwork, parseJson, parseRetryAfter } from '../http-status';
import type { CallPart } from '../parts';
import type { CallResult, Classification, Confirmation, OutgoingRequest, ProviderConfig } from '../types';
import type { QueuedRenewal } from '../../domain/renewal';

export const RENEW_PATH = '/api/third-party/partner/renew-number/';
export const LIST_USER_PATH = '/api/third-party/partner/user/';

const baseOf = (config: ProviderConfig): string => config.baseUrl.replace(/\/+$/, '');

const authHeaders = (config: ProviderConfig): Record<string, string> => {
  const apiKey = config.secrets.PRESSONE_API_KEY ?? '';
  return {
    accept: 'application/json',
    // The docs require an Authorization header without showing it; PressOne's SDKs send both.
    authorization: `Bearer ${apiKey}`,
    'pressone-x-api-key': apiKey,
  };
};

/**
 * List User's answer. PressOne does not publish the subscription fields; these are the ones the
 * sandbox models (and the only ones read): a renewal time newer than the attempt means renewed.
 */
const listUserAnswer = z.looseObject({
  data: z.array(
    z.looseObject({
      email: z.string(),
      subscription: z.optional(z.nullable(z.looseObject({ last_renewed_at: z.optional(z.nullable(z.string())) }))),
    }),
  ),
});

/** Provider and gateway clocks differ: a renewal this close before the attempt counts as it. */
export const CONFIRM_CLOCK_SKEW_MS = 5 * 60_000;

export const interpretListUser = (result: CallResult, renewal: QueuedRenewal, attemptStartedAt: Date): Confirmation => {
  const renewalEmail = renewal.subscription;
  if (result.kind !== 'response' || result.status !== 200) return 'unknown';
  const parsed = listUserAnswer.safeParse(parseJson(result.body));
  if (!parsed.success) return 'unknown';
  const user = parsed.data.data.find((u) => u.email.toLowerCase() === renewalEmail.toLowerCase());
  if (!user?.subscription || user.subscription.last_renewed_at === undefined) return 'unknown';
  const last = user.subscription.last_renewed_at;
  if (last === null) return 'not-renewed';
  const at = Date.parse(last);
  if (Number.isNaN(at)) return 'unknown';
  return at >= attemptStartedAt.getTime() - CONFIRM_CLOCK_SKEW_MS ? 'renewed' : 'not-renewed';
};

const listUserRequest = (renewal: QueuedRenewal, config: ProviderConfig): OutgoingRequest => ({
  method: 'GET',
  url: `${baseOf(config)}${LIST_USER_PATH}?email=${encodeURIComponent(renewal.subscription)}`,
  headers: authHeaders(config),
});

const pressoneAnswer = z.looseObject({
  message: z.optional(z.string()),
  success: z.optional(z.boolean()),
});

const messageOf = (body: string, fallback: string): string => {
  const parsed = pressoneAnswer.safeParse(parseJson(body));
  return sanitizeText(parsed.success && parsed.data.message ? parsed.data.message : fallback);
};

/** PressOne publishes no error shapes: the class follows the status (docs/providers.md). */
const STATUS_CLASSES: Readonly<Record<number, Classification['class']>> = {
  400: 'permanent',
  404: 'permanent',
  409: 'permanent',
  422: 'permanent',
  401: 'auth',
  403: 'auth',
  429: 'retryable',
  503: 'retryable',
};

export const classifyPressone = (result: CallResult): Classification => {
  if (result.kind !== 'response') return classifyNetwork(result);
  const { status, body } = result;
  if (status >= 200 && status < 300) {
    const parsed = pressoneAnswer.safeParse(parseJson(body));
    // `success: false` on a 2xx is a refusal, not a renewal.
    if (parsed.success && parsed.data.success === false) {
      return { class: 'permanent', httpStatus: status, message: messageOf(body, 'PressOne answered success: false') };
    }
    return { class: 'success', httpStatus: status, message: messageOf(body, 'renewed') };
  }
  const cls = STATUS_CLASSES[status] ?? (status >= 500 ? 'ambiguous' : 'permanent');
  const retryAfter = parseRetryAfter(result.headers['retry-after']);
  return {
    class: cls,
    httpStatus: status,
    message: messageOf(body, `HTTP ${status}`),
    ...(cls === 'retryable' && retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  };
};

export const call: CallPart = {
  idempotentCall: false,
  buildRequest(renewal, config) {
    return {
      method: 'POST',
      url: `${baseOf(config)}${RENEW_PATH}`,
      headers: { 'content-type': 'application/json', ...authHeaders(config) },
      body: JSON.stringify({ email: renewal.subscription }),
    };
  },
  classify: classifyPressone,
  confirmation: {
    buildRequest: listUserRequest,
    interpret: interpretListUser,
    // PressOne publishes no processing time; a renewal was seen applied 13 s after its call timed
    // out at 10 s. Five minutes is well past that, and within one SQS delay.
    settleMs: 5 * 60_000,
  },
};

/**
 * PressOne voice-only eSIM "Renew Number" (PROVIDERS.md):
 * `POST {base}/api/third-party/partner/renew-number/` with `{email}`, both auth headers.
 */
import { z } from 'zod';
import type { CanonicalRequest } from '../domain/canonical';
import { sanitizeText } from '../domain/sanitize';
import { classifyNetwork, parseJson, parseRetryAfter } from './http-status';
import { issuesToFieldErrors, parseCanonicalRequest } from '../domain/canonical';
import type { CallResult, Classification, Normalizer, ProviderModule } from './types';

/** The body PressOne itself takes; the drop-in route accepts exactly this. */
export const pressoneRenewBody = z.strictObject({
  email: z.email('must be the email the number was claimed with'),
});

export const normalizePressone: Normalizer = ({ body }) => {
  const parsed = pressoneRenewBody.safeParse(body);
  if (!parsed.success) return { ok: false, errors: issuesToFieldErrors(parsed.error.issues) };
  const canonical: CanonicalRequest = { provider: 'pressone', operation: 'renew', subscription: parsed.data.email, params: {} };
  return parseCanonicalRequest(canonical);
};

export const RENEW_PATH = '/api/third-party/partner/renew-number/';

const pressoneAnswer = z.looseObject({
  message: z.string().optional(),
  success: z.boolean().optional(),
});

const messageOf = (body: string, fallback: string): string => {
  const parsed = pressoneAnswer.safeParse(parseJson(body));
  return sanitizeText(parsed.success && parsed.data.message ? parsed.data.message : fallback);
};

/** PressOne publishes no error shapes: the class follows the status (PROVIDERS.md). */
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

export const pressone: ProviderModule = {
  idempotentCall: false,
  buildRequest(renewal, { baseUrl, secrets }) {
    const apiKey = secrets.PRESSONE_API_KEY ?? '';
    return {
      method: 'POST',
      url: `${baseUrl.replace(/\/+$/, '')}${RENEW_PATH}`,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        // The docs require an Authorization header without showing it; PressOne's SDKs send both.
        authorization: `Bearer ${apiKey}`,
        'pressone-x-api-key': apiKey,
      },
      body: JSON.stringify({ email: renewal.subscription }),
    };
  },
  classify: classifyPressone,
};

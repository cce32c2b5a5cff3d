/**
 * Digital River's call (docs/providers.md):
 * `POST {base}/v1/subscriptions/{subId}/renewal-type | renewal-product | renewal-quantity | renewal-price`.
 * 202 Accepted: DR applies the change later. Each call sets an absolute value, so repeating it is
 * harmless: the one provider whose call is safe to retry after a timeout.
 */
import { Buffer } from 'node:buffer';
import * as z from '../../zod';
import type { Operation } from '../../domain/canonical';
import type { QueuedRenewal } from '../../domain/renewal';
import { sanitizeText } from '../../domain/sanitize';
import { classifyNetwork, parseJson, parseRetryAfter } from '../http-status';
import type { CallPart } from '../parts';
import { queuedParams } from '../queued-params';
import type { CallResult, Classification, OutgoingRequest, ProviderConfig } from '../types';
import { canonical } from './canonical';
import { settingValue } from '../declaration';
import { digitalriver } from './index';

type DigitalRiverOperation = (typeof digitalriver.operations)[number];

export type DigitalRiverAuthHeader = (typeof digitalriver.config.settings.DIGITALRIVER_AUTH_HEADER.oneOf)[number];

/**
 * Which header carries `Basic base64(key:secret)`: unset → `authorization`; header names are
 * case-insensitive, so `Authorization`/`TOKEN` are accepted. Anything else is a deployment mistake
 * and throws (the consumer checks it at cold start, so the start fails instead of a call).
 */
export const validateDigitalRiverSettings = (settings: ProviderConfig['settings']): DigitalRiverAuthHeader =>
  settingValue('DIGITALRIVER_AUTH_HEADER', digitalriver.config.settings.DIGITALRIVER_AUTH_HEADER, settings.DIGITALRIVER_AUTH_HEADER) as DigitalRiverAuthHeader;

const isDigitalRiverOperation = (op: Operation): op is DigitalRiverOperation => (digitalriver.operations as readonly Operation[]).includes(op);

/** The body for one operation, re-checked against the canonical params (strict: no extra fields). */
const bodyFor = (renewal: QueuedRenewal, operation: DigitalRiverOperation): Record<string, unknown> =>
  queuedParams(renewal, 'Digital River', canonical.params[operation]);

export const buildDigitalRiverRequest = (renewal: QueuedRenewal, { baseUrl, secrets, settings }: ProviderConfig): OutgoingRequest => {
  const authHeader = validateDigitalRiverSettings(settings);
  const { operation } = renewal;
  if (renewal.provider !== 'digitalriver' || !isDigitalRiverOperation(operation)) {
    throw new Error(`renewal ${renewal.id} is ${renewal.provider}/${operation}, not a Digital River renewal setting`);
  }
  const body = bodyFor(renewal, operation);
  // renewal-product and renewal-price accept Basic only, so Basic is what every call sends.
  const basic = Buffer.from(`${secrets.DIGITALRIVER_API_KEY ?? ''}:${secrets.DIGITALRIVER_API_SECRET ?? ''}`, 'utf8').toString('base64');
  return {
    method: 'POST',
    // subId is restricted at intake; encoding it anyway keeps an odd one from changing the path.
    url: `${baseUrl.replace(/\/+$/, '')}/v1/subscriptions/${encodeURIComponent(renewal.subscription)}/${operation}`,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      [authHeader]: `Basic ${basic}`,
    },
    body: JSON.stringify(body),
  };
};

/**
 * DR's error shapes: `{"errors": {"error": [{code, subCode, description}]}}` (also a single
 * object instead of the array) and `{"errors": [{code, description, …}]}` (some with `message`,
 * `parameter`). Each part is read on its own (`catch`).
 */
const text = z.catch(z.optional(z.pipe(z.union([z.string(), z.number()]), z.transform(String))), undefined);
const drError = z.looseObject({ code: text, subCode: text, description: text, message: text, parameter: text });
type DrError = z.output<typeof drError>;
// Stryker disable next-line ObjectLiteral: a loose object keeps its `error` key whether or not it is declared
const drErrors = z.catch(z.optional(z.union([z.array(z.unknown()), z.looseObject({ error: z.unknown() })])), undefined);
const drBody = z.looseObject({ errors: drErrors, message: text, description: text });

const oneError = (value: unknown): DrError | undefined => {
  const parsed = drError.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

const describeError = (e: DrError): string | undefined => {
  const code = [e.code, e.subCode].filter(Boolean).join('/');
  const said = e.description ?? e.message;
  const where = e.parameter ? ` (${e.parameter})` : '';
  if (!said && !code) return undefined;
  return said ? `${code ? `${code}: ` : ''}${said}${where}` : `${code}${where}`;
};

/** The provider's own messages, never the body itself. */
export const digitalRiverMessages = (body: string): string[] => {
  const parsed = drBody.safeParse(parseJson(body));
  if (!parsed.success) return [];
  const { errors, message, description } = parsed.data;
  // Stryker disable next-line ArrayDeclaration: the last `[]` replaced by a list of strings changes nothing: a string is not an error object, so each is skipped
  const list: unknown[] = Array.isArray(errors) ? errors : errors ? (Array.isArray(errors.error) ? errors.error : [errors.error]) : [];
  const out = list.map(oneError).flatMap((e) => (e ? [describeError(e)] : [])).filter((s): s is string => Boolean(s));
  if (out.length === 0) for (const t of [message, description]) if (t) out.push(t);
  return out;
};

interface Rule {
  /** One status or an inclusive range; the first matching row wins. */
  readonly status: number | readonly [number, number];
  readonly class: Classification['class'];
  /** What the answer means, used when the body says nothing readable. */
  readonly note: string;
}

/** Every documented Digital River answer (docs/providers.md and the seed), then the catch-alls. */
export const DIGITALRIVER_RULES: readonly Rule[] = [
  // 202 is documented; a 200/204 means the same to the gateway: DR took the change.
  { status: [200, 299], class: 'accepted', note: 'Digital River accepted the change; it applies it later' },
  { status: 400, class: 'permanent', note: 'Digital River: bad request' },
  { status: 401, class: 'auth', note: 'Digital River: please verify your API key and secret (if applicable) is correct' },
  { status: 403, class: 'auth', note: 'Digital River: access denied' },
  { status: 404, class: 'permanent', note: 'Digital River: not found' },
  { status: 409, class: 'permanent', note: 'Digital River reported a conflict' },
  { status: 422, class: 'permanent', note: 'Digital River rejected the request' },
  // Safe to repeat (an absolute value), so every server-side failure is simply retried.
  { status: 429, class: 'retryable', note: 'Digital River rate limit' },
  { status: [500, 599], class: 'retryable', note: 'Digital River server error; the call is safe to repeat' },
  { status: [400, 499], class: 'permanent', note: 'Digital River rejected the request' },
  // 1xx/3xx (redirects are not followed): the base URL is misconfigured; a person looks.
  { status: [100, 399], class: 'auth', note: 'unexpected answer from Digital River: check DIGITALRIVER_BASE_URL' },
];

const matches = (rule: Rule, status: number): boolean =>
  typeof rule.status === 'number' ? rule.status === status : status >= rule.status[0] && status <= rule.status[1];

export const classifyDigitalRiver = (result: CallResult): Classification => {
  if (result.kind === 'no-answer') {
    // Chosen over the shared "ambiguous": docs/providers.md lists DR timeouts as retryable, and the
    // call sets an absolute value, so a repeat is harmless whether or not the first one landed.
    return { class: 'retryable', message: `no answer after the request was sent (${result.code}); the call is safe to repeat` };
  }
  if (result.kind !== 'response') return classifyNetwork(result);
  const { status } = result;
  const rule = DIGITALRIVER_RULES.find((r) => matches(r, status));
  const cls = rule?.class ?? 'auth';
  const said = cls === 'accepted' ? [] : digitalRiverMessages(result.body);
  const retryAfter = cls === 'retryable' ? parseRetryAfter(result.headers['retry-after']) : undefined;
  return {
    class: cls,
    httpStatus: status,
    message: sanitizeText(said.length > 0 ? said.join('; ') : `${rule?.note ?? 'unexpected answer from Digital River'} (HTTP ${status})`),
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  };
};

export const call: CallPart = {
  idempotentCall: true,
  buildRequest: buildDigitalRiverRequest,
  classify: classifyDigitalRiver,
};

/**
 * The canonical renewal request (docs/architecture.md#canonical-request) and its validation.
 *
 * Validation runs in two steps so that every error names the field the caller wrote: first the
 * envelope (provider, operation, subscription, notBefore), then the params for that provider and
 * operation, with paths prefixed by `params.`.
 */
import * as z from 'zod';
import { PROVIDERS, type Provider } from '../system';
import type { FieldError } from '../http/problem';
import { amount } from './numbers';

export const OPERATIONS = ['renew', 'renewal-type', 'renewal-product', 'renewal-quantity', 'renewal-price'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const OPERATIONS_BY_PROVIDER = {
  pressone: ['renew'],
  pelcro: ['renew'],
  punchh: ['renew'],
  digitalriver: ['renewal-type', 'renewal-product', 'renewal-quantity', 'renewal-price'],
} as const satisfies Record<Provider, readonly Operation[]>;

const int = (min = 1) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);
/** Pelcro's ids and counts are int32 (the seed document). */
const int32 = (min = 1) => z.number().int().min(min).max(2_147_483_647);
const isoDateTime = () => z.iso.datetime({ offset: true });
/** Pelcro: 3–191 characters of letters, digits, `-` and `_`. */
export const CAMPAIGN_KEY = /^[A-Za-z0-9_-]{3,191}$/;

/**
 * A compact JWS (RFC 7515): base64url header and payload, each a JSON object (so `eyJ`, the
 * encoding of `{"`), and a non-empty signature. Shape only: the token is never decoded (it would
 * reach logs) nor verified (only Pelcro can); a token that is not even shaped like one would
 * only fail at Pelcro later, as needs_attention.
 */
export const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const JWT_SHAPE_MESSAGE = 'must be a JWT (three base64url parts: header.payload.signature)';

export const PELCRO_PAYMENT_GATEWAYS = ['stripe', 'braintree', 'vantiv', 'tap', 'cybersource'] as const;

const pelcroSdkParams = z.strictObject({
  api: z.literal('sdk'),
  siteId: int32(),
  planId: int32(),
  /** The signed-in customer's JWT; a secret carried only in the encrypted queue message. */
  customerToken: z.string().regex(JWT_SHAPE, JWT_SHAPE_MESSAGE),
  language: z.string().regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as "en"').optional(),
  paymentGateway: z.enum(PELCRO_PAYMENT_GATEWAYS).optional(),
  gatewayToken: z.string().min(1).optional(),
  addressId: int32().optional(),
  sourceId: int32().optional(),
  campaignKey: z.string().regex(CAMPAIGN_KEY, 'must be 3–191 letters, digits, "-" or "_"').optional(),
  couponCode: z.string().min(1).optional(),
  quantity: int32().optional(),
  source: z.string().min(1).optional(),
  replaceUpcomingPhases: z.boolean().optional(),
});

const pelcroCoreParams = z.strictObject({
  api: z.literal('core'),
  siteId: int32(),
  userId: int32(),
  planId: int32(),
  quantity: int32(),
  source: z.string().min(1),
  addressId: int32().optional(),
  autoRenew: z.boolean().optional(),
  campaignKey: z.string().regex(CAMPAIGN_KEY, 'must be 3–191 letters, digits, "-" or "_"').optional(),
  couponCode: z.string().min(1).optional(),
  replaceUpcomingPhases: z.boolean().optional(),
  collectionMethod: z.enum(['charge_automatically', 'send_invoice']).optional(),
  sourceId: int32().optional(),
});

const punchhParams = z
  .strictObject({
    startTime: isoDateTime(),
    endTime: isoDateTime(),
    purchasePrice: amount(),
    newPlanId: int().optional(),
  })
  // Ordered only when both parse: an unreadable time is reported once, by its own check.
  .refine((p) => Number.isNaN(Date.parse(p.endTime)) || Number.isNaN(Date.parse(p.startTime)) || Date.parse(p.endTime) > Date.parse(p.startTime), {
    path: ['endTime'],
    message: 'must be after startTime',
  });

/** The params schema for each allowed (provider, operation) pair. */
export const PARAMS_SCHEMAS = {
  'pressone/renew': z.strictObject({}),
  'pelcro/renew': z
    .discriminatedUnion('api', [pelcroSdkParams, pelcroCoreParams])
    .superRefine((p, ctx) => {
      if (p.api === 'core' && p.collectionMethod === 'charge_automatically' && p.sourceId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['sourceId'], message: 'is required when collectionMethod is charge_automatically' });
      }
    }),
  'punchh/renew': punchhParams,
  'digitalriver/renewal-type': z.strictObject({ autoRenewal: z.boolean() }),
  'digitalriver/renewal-product': z.strictObject({ renewalProductId: z.string().min(1) }),
  'digitalriver/renewal-quantity': z.strictObject({ renewalQuantity: z.number().int().min(1).max(2_147_483_647) }),
  'digitalriver/renewal-price': z.strictObject({ renewalUnitPrice: amount() }),
} as const;

type ParamsKey = keyof typeof PARAMS_SCHEMAS;
export type ParamsFor<K extends ParamsKey> = z.output<(typeof PARAMS_SCHEMAS)[K]>;

/** The subscription reference each provider uses (docs/architecture.md#canonical-request). */
const SUBSCRIPTION_SCHEMAS: Record<Provider, z.ZodType<string>> = {
  pressone: z.email('must be the email the number was claimed with'),
  pelcro: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, 'must be the Pelcro subscription id (a positive integer)')
    .refine((v) => Number(v) <= 2_147_483_647, 'must be the Pelcro subscription id (at most 2147483647)'),
  punchh: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be the Punchh subscription_id (a positive integer)')
    .refine((v) => Number.isSafeInteger(Number(v)), 'must be the Punchh subscription_id (at most 9007199254740991)'),
  digitalriver: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be the Digital River subId'),
};

const envelope = z.strictObject({
  provider: z.enum(PROVIDERS),
  operation: z.enum(OPERATIONS),
  subscription: z.string().min(1).max(320),
  params: z.record(z.string(), z.unknown()).default({}),
  notBefore: isoDateTime().optional(),
});

export interface CanonicalRequest {
  readonly provider: Provider;
  readonly operation: Operation;
  readonly subscription: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly notBefore?: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export const issuesToFieldErrors = (issues: readonly z.core.$ZodIssue[], prefix: readonly (string | number)[] = []): FieldError[] =>
  issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return { path: [...prefix, ...issue.path, ...issue.keys].map(String).join('.'), message: 'is not a known field' };
    }
    return { path: path || '(body)', message: issue.message };
  });

/** Validates an untrusted value as a canonical request; every error names its field. */
export const parseCanonicalRequest = (input: unknown): ValidationResult<CanonicalRequest> => {
  const head = envelope.safeParse(input);
  if (!head.success) return { ok: false, errors: issuesToFieldErrors(head.error.issues) };
  const { provider, operation, subscription, params, notBefore } = head.data;

  const allowed: readonly Operation[] = OPERATIONS_BY_PROVIDER[provider];
  if (!allowed.includes(operation)) {
    return {
      ok: false,
      errors: [{ path: 'operation', message: `is not available for ${provider}; use one of: ${allowed.join(', ')}` }],
    };
  }
  const errors: FieldError[] = [];
  const sub = SUBSCRIPTION_SCHEMAS[provider].safeParse(subscription);
  if (!sub.success) errors.push(...issuesToFieldErrors(sub.error.issues, ['subscription']));

  const schema = PARAMS_SCHEMAS[`${provider}/${operation}` as ParamsKey];
  const parsedParams = schema.safeParse(params);
  if (!parsedParams.success) errors.push(...issuesToFieldErrors(parsedParams.error.issues, ['params']));
  if (errors.length > 0 || !parsedParams.success) return { ok: false, errors };

  return {
    ok: true,
    value: {
      provider,
      operation,
      subscription,
      params: parsedParams.data as Record<string, unknown>,
      ...(notBefore ? { notBefore } : {}),
    },
  };
};

/** Params that are secrets: carried in the queue message, never stored, hashed or returned. */
export const SECRET_PARAMS: readonly string[] = ['customerToken'];

export const withoutSecrets = (params: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(params).filter(([k]) => !SECRET_PARAMS.includes(k)));

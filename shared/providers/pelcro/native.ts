/**
 * Pelcro's drop-in routes: the SDK renew (`?site_id=N`, the customer's JWT as the bearer) and the
 * Core renew (`?site_id=N&user_id=M`), each with Pelcro's own body.
 */
import * as z from '../../zod';
import { issuesToFieldErrors, type CanonicalRequest } from '../../domain/canonical';
import { checkCanonical } from '../../domain/canonical-check';
import type { FieldError } from '../../http/problem';
import type { NativePart } from '../parts';
import type { Normalizer } from '../types';
import { CAMPAIGN_KEY, canonical as pelcroCanonical, INT32_MAX, JWT_SHAPE, JWT_SHAPE_MESSAGE, PELCRO_PAYMENT_GATEWAYS } from './canonical';
import { copyFields, PELCRO_CORE_FIELDS, PELCRO_SDK_FIELDS } from './fields';
import type { pelcro } from './index';

/** Zod's default text for a missing field names a type; callers understand "is required" better. */
const required = { error: (issue: { readonly input?: unknown }) => (issue.input === undefined ? 'is required' : undefined) };

/** Every Pelcro id and the quantity: a positive int32 (the canonical schema also wants ≥ 1). */
const int32 = () => z.int(required).check(z.minimum(1, 'must be a positive integer'), z.maximum(INT32_MAX, `must be at most ${INT32_MAX} (int32)`));
const campaignKey = () => z.string().check(z.regex(CAMPAIGN_KEY, 'must be 3–191 letters, digits, "-" or "_"'));
const nonEmpty = () => z.string().check(z.minLength(1, 'must not be empty'));

/** Query parameters arrive as strings; Pelcro wants positive int32 values. */
const queryInt = () =>
  z.pipe(
    z.string(required).check(
      // Abort here: a non-number has nothing else to say about its size.
      z.regex(/^[1-9][0-9]{0,9}$/, { message: 'must be a positive integer', abort: true }),
      z.refine((s) => Number(s) <= INT32_MAX, `must be at most ${INT32_MAX} (int32)`),
    ),
    z.transform(Number),
  );

/** The SDK body exactly as Pelcro documents it (the drop-in route accepts exactly this). */
export const pelcroSdkRenewBody = z.strictObject({
  plan_id: int32(),
  subscription_id: int32(),
  // The canonical schema wants the lower-case two-letter form; checking it here names `language`.
  language: z.optional(z.string().check(z.regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as "en"'))),
  payment_gateway: z.optional(z.enum(PELCRO_PAYMENT_GATEWAYS)),
  gateway_token: z.optional(nonEmpty()),
  address_id: z.optional(int32()),
  source_id: z.optional(int32()),
  campaign_key: z.optional(campaignKey()),
  coupon_code: z.optional(nonEmpty()),
  quantity: z.optional(int32()),
  source: z.optional(nonEmpty()),
  replace_upcoming_phases: z.optional(z.boolean()),
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
    source: z.string(required).check(z.minLength(1, 'must not be empty')),
    address_id: z.optional(int32()),
    auto_renew: z.optional(z.boolean()),
    campaign_key: z.optional(campaignKey()),
    coupon_code: z.optional(nonEmpty()),
    replace_upcoming_phases: z.optional(z.boolean()),
    collection_method: z.optional(z.enum(PELCRO_COLLECTION_METHODS)),
    source_id: z.optional(int32()),
  })
  .check(
    z.superRefine((b, ctx) => {
      if (b.collection_method === 'charge_automatically' && b.source_id === undefined) {
        ctx.addIssue({ code: 'custom', path: ['source_id'], message: 'is required when collection_method is charge_automatically' });
      }
    }),
  );
export type PelcroCoreRenewBody = z.output<typeof pelcroCoreRenewBody>;

export const pelcroCoreQuery = z.object({ site_id: queryInt(), user_id: queryInt() });

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
  return checkCanonical(canonical, pelcroCanonical);
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
  return checkCanonical(canonical, pelcroCanonical);
};

export const native = {
  '/v1/providers/pelcro/subscription/renew': normalizePelcroSdk,
  '/v1/providers/pelcro/core/subscriptions/renew': normalizePelcroCore,
} satisfies NativePart<typeof pelcro>;

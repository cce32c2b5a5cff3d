/**
 * A canonical Pelcro renewal: the subscription is Pelcro's subscription id; `params.api`
 * (`sdk` | `core`) selects the variant, and the SDK variant carries the customer's JWT.
 */
import * as z from '../../zod';
import type { CanonicalPart } from '../parts';
import type { pelcro } from './index';

/** Pelcro documents its ids and quantity as int32 (the seed document). */
export const INT32_MAX = 2_147_483_647;

const int32 = () => z.number().check(z.int(), z.minimum(1), z.maximum(INT32_MAX));
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

const nonEmpty = () => z.string().check(z.minLength(1));
const campaignKey = () => z.string().check(z.regex(CAMPAIGN_KEY, 'must be 3–191 letters, digits, "-" or "_"'));

export const PELCRO_PAYMENT_GATEWAYS = ['stripe', 'braintree', 'vantiv', 'tap', 'cybersource'] as const;

const pelcroSdkParams = z.strictObject({
  api: z.literal('sdk'),
  siteId: int32(),
  planId: int32(),
  /** The signed-in customer's JWT; a secret carried only in the encrypted queue message. */
  customerToken: z.string().check(z.regex(JWT_SHAPE, JWT_SHAPE_MESSAGE)),
  language: z.optional(z.string().check(z.regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as "en"'))),
  paymentGateway: z.optional(z.enum(PELCRO_PAYMENT_GATEWAYS)),
  gatewayToken: z.optional(nonEmpty()),
  addressId: z.optional(int32()),
  sourceId: z.optional(int32()),
  campaignKey: z.optional(campaignKey()),
  couponCode: z.optional(nonEmpty()),
  quantity: z.optional(int32()),
  source: z.optional(nonEmpty()),
  replaceUpcomingPhases: z.optional(z.boolean()),
});

const pelcroCoreParams = z.strictObject({
  api: z.literal('core'),
  siteId: int32(),
  userId: int32(),
  planId: int32(),
  quantity: int32(),
  source: nonEmpty(),
  addressId: z.optional(int32()),
  autoRenew: z.optional(z.boolean()),
  campaignKey: z.optional(campaignKey()),
  couponCode: z.optional(nonEmpty()),
  replaceUpcomingPhases: z.optional(z.boolean()),
  collectionMethod: z.optional(z.enum(['charge_automatically', 'send_invoice'])),
  sourceId: z.optional(int32()),
});

export const canonical = {
  subscription: z
    .string()
    .check(
      z.regex(/^[1-9][0-9]{0,9}$/, 'must be the Pelcro subscription id (a positive integer)'),
      z.refine((v) => Number(v) <= INT32_MAX, 'must be the Pelcro subscription id (at most 2147483647)'),
    ),
  params: {
    renew: z.discriminatedUnion('api', [pelcroSdkParams, pelcroCoreParams]).check(
      z.superRefine((p, ctx) => {
        if (p.api === 'core' && p.collectionMethod === 'charge_automatically' && p.sourceId === undefined) {
          ctx.addIssue({ code: 'custom', path: ['sourceId'], message: 'is required when collectionMethod is charge_automatically' });
        }
      }),
    ),
  },
} satisfies CanonicalPart<typeof pelcro>;

export type PelcroParams = z.output<typeof canonical.params.renew>;
export type PelcroSdkParams = Extract<PelcroParams, { api: 'sdk' }>;
export type PelcroCoreParams = Extract<PelcroParams, { api: 'core' }>;

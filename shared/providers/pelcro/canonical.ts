/**
 * A canonical Pelcro renewal: the subscription is Pelcro's subscription id; `params.api`
 * (`sdk` | `core`) selects the variant, and the SDK variant carries the customer's JWT.
 */
import * as z from 'zod';
import type { CanonicalPart } from '../parts';
import type { pelcro } from './index';

/** Pelcro documents its ids and quantity as int32 (the seed document). */
export const INT32_MAX = 2_147_483_647;

const int32 = () => z.number().int().min(1).max(INT32_MAX);
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

export const canonical = {
  subscription: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, 'must be the Pelcro subscription id (a positive integer)')
    .refine((v) => Number(v) <= INT32_MAX, 'must be the Pelcro subscription id (at most 2147483647)'),
  params: {
    renew: z.discriminatedUnion('api', [pelcroSdkParams, pelcroCoreParams]).superRefine((p, ctx) => {
      if (p.api === 'core' && p.collectionMethod === 'charge_automatically' && p.sourceId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['sourceId'], message: 'is required when collectionMethod is charge_automatically' });
      }
    }),
  },
} satisfies CanonicalPart<typeof pelcro>;

export type PelcroParams = z.output<typeof canonical.params.renew>;
export type PelcroSdkParams = Extract<PelcroParams, { api: 'sdk' }>;
export type PelcroCoreParams = Extract<PelcroParams, { api: 'core' }>;

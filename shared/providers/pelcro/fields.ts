/** Pelcro's body fields and the canonical params they carry: one table per variant, read both ways. */
import type { PelcroCoreParams, PelcroSdkParams } from './canonical';
import type { PelcroCoreRenewBody, PelcroSdkRenewBody } from './native';

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
] as const satisfies ReadonlyArray<readonly [Exclude<keyof PelcroSdkRenewBody, 'subscription_id'>, keyof PelcroSdkParams]>;

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
] as const satisfies ReadonlyArray<readonly [Exclude<keyof PelcroCoreRenewBody, 'subscription_id'>, keyof PelcroCoreParams]>;

export const copyFields = (
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


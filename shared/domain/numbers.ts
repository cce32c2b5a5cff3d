/**
 * Numbers that cross the boundary and are stored: every one must be one DynamoDB (and the SDK's
 * marshaller) can hold, or the request would be accepted by validation and then fail as a 500.
 *
 * - The SDK's marshaller refuses any number above `Number.MAX_SAFE_INTEGER` (2^53 − 1) in
 *   magnitude, integer or not ("Use BigInt"): 9007199254740992 and 1e200 fail there.
 * - DynamoDB refuses a non-zero magnitude below 1e-130 (its range is 1E-130 to 9.9…E+125, 38
 *   significant digits; a JavaScript number never has more than 17): 1e-131 fails there.
 *
 * So a stored number is 0 or has a magnitude from 1e-130 to 9007199254740991. Every money or
 * quantity field of every provider is built from these helpers (docs: README "Ranges").
 */
import * as z from '../zod';

export const MAX_STORABLE = Number.MAX_SAFE_INTEGER;
export const MIN_STORABLE_MAGNITUDE = 1e-130;

/** True when DynamoDB (through the SDK's marshaller) stores this number exactly as given. */
export const isStorableNumber = (n: number): boolean =>
  Number.isFinite(n) && (n === 0 || (Math.abs(n) >= MIN_STORABLE_MAGNITUDE && Math.abs(n) <= MAX_STORABLE));

type NumberParams = Parameters<typeof z.number>[0];

/**
 * A non-negative amount (a price): from 0 to 9007199254740991, and if not 0 at least 1e-130.
 * `params` is zod's (e.g. a "required" message for a missing field).
 */
export const amount = (params?: NumberParams) =>
  z.number(params).check(
    z.minimum(0, 'must not be negative'),
    z.maximum(MAX_STORABLE, `must be at most ${MAX_STORABLE}`),
    // A negative one has its own error above.
    z.refine((n) => n <= 0 || n >= MIN_STORABLE_MAGNITUDE, `must be 0 or at least ${MIN_STORABLE_MAGNITUDE}`),
  );

/**
 * Digital River's drop-in routes: `POST /v1/providers/digitalriver/subscriptions/{subId}/<setting>`
 * with DR's own body, one route per renewal setting.
 */
import * as z from '../../zod';
import { amount } from '../../domain/numbers';
import { issuesToFieldErrors, type CanonicalRequest } from '../../domain/canonical';
import { checkCanonical } from '../../domain/canonical-check';
import type { FieldError } from '../../http/problem';
import type { NativePart } from '../parts';
import type { Normalizer } from '../types';
import { canonical as digitalRiverCanonical } from './canonical';
import { digitalriver } from './index';

export type DigitalRiverOperation = (typeof digitalriver.operations)[number];
export const DIGITALRIVER_OPERATIONS: readonly DigitalRiverOperation[] = digitalriver.operations;

/** Zod's default text for a missing field names a type; callers understand "is required" better. */
const required = { error: (issue: { readonly input?: unknown }) => (issue.input === undefined ? 'is required' : undefined) };

/** The bodies DR itself takes, one per operation; the drop-in routes accept exactly these. */
export const digitalRiverBodies = {
  'renewal-type': z.strictObject({ autoRenewal: z.boolean(required) }),
  'renewal-product': z.strictObject({ renewalProductId: z.string(required).check(z.minLength(1, 'must not be empty')) }),
  'renewal-quantity': z.strictObject({ renewalQuantity: z.int32(required).check(z.minimum(1, 'must be at least 1')) }),
  // "number · double"; the canonical schema refuses a negative price, so this route does too.
  'renewal-price': z.strictObject({ renewalUnitPrice: amount(required) }),
} as const satisfies Record<DigitalRiverOperation, z.ZodMiniType>;

/**
 * DR documents subId only as "string"; the canonical reference allows letters, digits, `.`, `_`
 * and `-` (1–100). Checked here too so the error names `path.subId`.
 */
const SUB_ID = /^[A-Za-z0-9._-]{1,100}$/;
export const digitalRiverPath = z.object({
  subId: z.string(required).check(z.regex(SUB_ID, 'must be a Digital River subscription id (1–100 letters, digits, ".", "_" or "-")')),
});

/** `POST /v1/providers/digitalriver/subscriptions/{subId}/{operation}` with DR's own body. */
export const normalizeDigitalRiver =
  (operation: DigitalRiverOperation): Normalizer =>
  ({ body, path }) => {
    const errors: FieldError[] = [];
    const parsedPath = digitalRiverPath.safeParse(path);
    if (!parsedPath.success) errors.push(...issuesToFieldErrors(parsedPath.error.issues, ['path']));
    const parsedBody = digitalRiverBodies[operation].safeParse(body);
    if (!parsedBody.success) errors.push(...issuesToFieldErrors(parsedBody.error.issues));
    if (!parsedPath.success || !parsedBody.success) return { ok: false, errors };
    const canonical: CanonicalRequest = {
      provider: 'digitalriver',
      operation,
      subscription: parsedPath.data.subId,
      // DR's field names already are the canonical camelCase params.
      params: { ...parsedBody.data },
    };
    return checkCanonical(canonical, digitalRiverCanonical);
  };

export const native = {
  '/v1/providers/digitalriver/subscriptions/{subId}/renewal-type': normalizeDigitalRiver('renewal-type'),
  '/v1/providers/digitalriver/subscriptions/{subId}/renewal-product': normalizeDigitalRiver('renewal-product'),
  '/v1/providers/digitalriver/subscriptions/{subId}/renewal-quantity': normalizeDigitalRiver('renewal-quantity'),
  '/v1/providers/digitalriver/subscriptions/{subId}/renewal-price': normalizeDigitalRiver('renewal-price'),
} satisfies NativePart<typeof digitalriver>;

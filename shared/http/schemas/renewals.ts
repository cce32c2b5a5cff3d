/**
 * Requests of the renewal routes for operators (README "Operating it"): the inbox query and the
 * action bodies. Each is a zod schema, the one thing that validates the request, so the same
 * schemas can be emitted as JSON Schema (z.toJSONSchema) for the API description. `zod/mini`
 * (through `shared/zod.ts`): the status and operator bundles carry only the checks used here.
 */
import * as z from '../../zod';
import { PROVIDERS } from '../../system';
import { INBOX_STATUSES } from '../../domain/inbox';

/** Why the operator acts: recorded in the renewal's history with their name. Required, never blank. */
export const note = z.string({ error: 'is required: say why (it is kept in the renewal’s history)' }).check(
  z.trim(),
  z.minLength(1, 'must not be empty: say why (it is kept in the renewal’s history)'),
  z.maxLength(1000),
);

export const renewalIdPath = z.object({ id: z.string().check(z.regex(/^rnw_[a-z2-7]{26}$/, 'is not a renewal id (rnw_ and 26 letters or digits)')) });

/** A cursor from a previous answer: opaque, bounded. */
const cursor = () => z.optional(z.string().check(z.minLength(1), z.maxLength(4096)));

export const retryBody = z.strictObject({
  note,
  /**
   * What the operator found at the provider, required when the last attempt's outcome is unknown
   * (ambiguous or interrupted): `not_renewed` (if it did renew, resolve it as succeeded instead).
   */
  providerState: z.optional(z.literal('not_renewed', { error: 'must be "not_renewed" (if the provider did renew it, resolve it with outcome "succeeded")' })),
});
export type RetryBody = z.infer<typeof retryBody>;

export const resolveBody = z.strictObject({
  note,
  /** What the operator settled at the provider: `succeeded` keeps the period lock, `failed` releases it. */
  outcome: z.enum(['succeeded', 'failed'], { error: 'must be "succeeded" or "failed"' }),
});
export type ResolveBody = z.infer<typeof resolveBody>;

export const cancelBody = z.strictObject({ note });
export type CancelBody = z.infer<typeof cancelBody>;

/** The statuses a (bulk) retry applies to. */
export const RETRYABLE_STATUSES = ['failed', 'needs_attention'] as const;

export const bulkRetryBody = z.strictObject({
  filter: z.strictObject({
    status: z.enum(RETRYABLE_STATUSES, { error: 'must be "failed" or "needs_attention" (what a retry applies to)' }),
    provider: z.optional(z.enum(PROVIDERS)),
    /** Only renewals created strictly before this instant. */
    createdBefore: z.optional(z.iso.datetime({ offset: true })),
  }),
  note,
  /** Count what would be retried; change nothing. */
  dryRun: z._default(z.boolean(), false),
  /** From the previous answer's `nextCursor`: go on where it stopped. */
  cursor: cursor(),
});
export type BulkRetryBody = z.infer<typeof bulkRetryBody>;

export const inboxQuery = z.strictObject({
  status: z.optional(
    z.enum(INBOX_STATUSES, {
      error: `must be one of ${INBOX_STATUSES.join(', ')} (finished renewals are listed per subscription: GET /v1/subscriptions/{provider}/{ref}/renewals)`,
    }),
  ),
  provider: z.optional(z.enum(PROVIDERS)),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
  cursor: cursor(),
});
export type InboxQuery = z.infer<typeof inboxQuery>;

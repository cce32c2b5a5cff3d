/**
 * The query of `GET /v1/events`, in zod/mini (shared/zod.ts), loaded on the first call of that
 * route so the status function's cold start does not parse it (README "Lambda bundles").
 */
import * as z from '../../shared/zod';
import { EVENT_TYPE } from '../../shared/events/types';
import { issuesToFieldErrors } from '../../shared/domain/canonical';
import type { FieldError } from '../../shared/http/problem';

export const eventsQuery = z.strictObject({
  // At most 15 digits: the event log's sequence numbers (shared/adapters/event-log.ts).
  after: z.optional(z.string().check(z.regex(/^\d{1,15}$/, 'a cursor this API returned (nextCursor)'))),
  type: z.optional(z.string().check(z.regex(EVENT_TYPE, 'an event type such as renewal.failed'))),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
});

/** The query checked, or its errors named `query.<field>`. */
export const parseEventsQuery = (input: Readonly<Record<string, string | undefined>>): { ok: true; value: z.output<typeof eventsQuery> } | { ok: false; errors: FieldError[] } => {
  const r = eventsQuery.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: issuesToFieldErrors(r.error.issues, ['query']) };
};

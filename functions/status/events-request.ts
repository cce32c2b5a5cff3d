/** The query of `GET /v1/events`. */
import * as z from 'zod';
import { EVENT_TYPE } from '../../shared/events/event';

export const eventsQuery = z.strictObject({
  // At most 15 digits: the event log's sequence numbers (shared/adapters/event-log.ts).
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'a cursor this API returned (nextCursor)')
    .optional()
    .meta({ description: 'The `nextCursor` of the previous call; omitted: from the oldest event kept (30 days at least).' }),
  type: z.string().regex(EVENT_TYPE, 'an event type such as renewal.failed').optional().meta({ description: 'Only events of this type, e.g. `renewal.failed`.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

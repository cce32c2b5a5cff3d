/**
 * The check of a delivery message (zod/mini, shared/zod.ts), loaded by the delivery function on its
 * first batch: the events and operator functions, which only send messages, never evaluate it.
 */
import * as z from '../zod';

/** What the delivery function accepts: a message this code wrote (anything else is dropped and logged). */
export const deliveryMessage = z.object({
  endpointId: z.string().check(z.regex(/^ep_[a-z0-9]{20,40}$/)),
  event: z.looseObject({ id: z.string().check(z.regex(/^evt_[0-9a-f]{32}$/)), type: z.string(), createdAt: z.string(), data: z.looseObject({ id: z.string() }) }),
  attempt: z.int().check(z.minimum(1), z.maximum(1000)),
  notBefore: z.optional(z.iso.datetime()),
  replay: z.optional(z.boolean()),
  lane: z.optional(z.literal('slow')),
});


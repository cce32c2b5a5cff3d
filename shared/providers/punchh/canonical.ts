/**
 * A canonical Punchh renewal: the subscription is Punchh's subscription_id; the params are the
 * term renewed (`startTime`, `endTime`, with a zone), its price and an optional new plan.
 */
import * as z from '../../zod';
import { amount } from '../../domain/numbers';
import type { CanonicalPart } from '../parts';
import type { punchh } from './index';

const isoDateTime = () => z.iso.datetime({ offset: true });

export const canonical = {
  subscription: z
    .string()
    .check(
      z.regex(/^[1-9][0-9]{0,15}$/, 'must be the Punchh subscription_id (a positive integer)'),
      z.refine((v) => Number.isSafeInteger(Number(v)), 'must be the Punchh subscription_id (at most 9007199254740991)'),
    ),
  params: {
    renew: z
      .strictObject({
        startTime: isoDateTime(),
        endTime: isoDateTime(),
        purchasePrice: amount(),
        newPlanId: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER))),
      })
      .check(
        // Ordered only when both parse: an unreadable time is reported once, by its own check.
        z.refine((p) => Number.isNaN(Date.parse(p.endTime)) || Number.isNaN(Date.parse(p.startTime)) || Date.parse(p.endTime) > Date.parse(p.startTime), {
          path: ['endTime'],
          message: 'must be after startTime',
        }),
      ),
  },
} satisfies CanonicalPart<typeof punchh>;

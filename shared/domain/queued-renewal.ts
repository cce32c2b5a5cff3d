/** The check a consumer makes of each queued message (`QueuedRenewal`), loaded with its first batch. */
import * as z from '../zod';
import { PROVIDERS } from '../system';
import { OPERATIONS } from './canonical';
import type { QueuedRenewal } from './renewal';

export const queuedRenewalSchema = z.object({
  v: z.literal(1),
  id: z.string().check(z.minLength(1)),
  idempotencyKey: z.string().check(z.minLength(1)),
  provider: z.enum(PROVIDERS),
  operation: z.enum(OPERATIONS),
  subscription: z.string().check(z.minLength(1)),
  params: z.record(z.string(), z.unknown()),
  notBefore: z.optional(z.string()),
  dueAt: z.optional(z.string()),
  copyId: z.optional(z.string().check(z.minLength(1))),
  hop: z.optional(z.string().check(z.minLength(1))),
}) satisfies z.ZodMiniType<QueuedRenewal>;

/** The check a consumer makes of each queued message (`QueuedRenewal`), loaded with its first batch. */
import * as z from 'zod';
import { PROVIDERS } from '../system';
import { OPERATIONS } from './canonical';
import type { QueuedRenewal } from './renewal';

export const queuedRenewalSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  idempotencyKey: z.string().min(1),
  provider: z.enum(PROVIDERS),
  operation: z.enum(OPERATIONS),
  subscription: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
  notBefore: z.string().optional(),
  deadline: z.string().optional(),
  dueAt: z.string().optional(),
}) satisfies z.ZodType<QueuedRenewal>;

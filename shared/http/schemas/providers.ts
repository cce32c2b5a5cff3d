/**
 * Requests of the provider routes for operators: resume, dead letters, redrive. zod schemas
 * (`zod/mini` through `shared/zod.ts`), the one thing that validates them (and what the API
 * description is generated from).
 */
import * as z from '../../zod';
import { PROVIDERS } from '../../system';
import { note } from './renewals';

export const providerPath = z.object({ provider: z.enum(PROVIDERS, { error: `must be one of ${PROVIDERS.join(', ')}` }) });

export const resumeBody = z.strictObject({ note });
export type ResumeBody = z.infer<typeof resumeBody>;

/** A route that takes no query parameters: any one given is refused, naming it. */
export const noQuery = z.strictObject({});

export const deadLettersQuery = z.strictObject({
  /** At most this many messages are looked at (SQS returns up to 10 per receive). */
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(50)), 10),
});

export const redriveBody = z.strictObject({
  note,
  /** StartMessageMoveTask's MaxNumberOfMessagesPerSecond; unset: as fast as SQS goes (up to 500/s). */
  maxMessagesPerSecond: z.optional(z.int().check(z.minimum(1), z.maximum(500))),
});
export type RedriveBody = z.infer<typeof redriveBody>;

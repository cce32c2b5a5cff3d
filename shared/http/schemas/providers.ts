/**
 * Requests of the provider routes for operators: resume, dead letters, redrive. zod schemas, the
 * one thing that validates them (and what the API description can be generated from).
 */
import * as z from 'zod';
import { PROVIDERS } from '../../system';
import { note } from './renewals';

export const providerPath = z.object({ provider: z.enum(PROVIDERS, { error: `must be one of ${PROVIDERS.join(', ')}` }) });

export const resumeBody = z.strictObject({ note });
export type ResumeBody = z.infer<typeof resumeBody>;

export const deadLettersQuery = z.strictObject({
  /** At most this many messages are looked at (SQS returns up to 10 per receive). */
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export const redriveBody = z.strictObject({
  note,
  /** StartMessageMoveTask's MaxNumberOfMessagesPerSecond; unset: as fast as SQS goes (up to 500/s). */
  maxMessagesPerSecond: z.int().min(1).max(500).optional(),
});
export type RedriveBody = z.infer<typeof redriveBody>;

/**
 * The response shapes the OpenAPI document (openapi.json) describes, as zod schemas: the
 * gateway builds these objects in code (toResource, toScheduleResource, problem documents), and
 * test/unit/openapi.test.ts checks what that code returns against these schemas, so the document
 * cannot drift from what is served. Request schemas are not here: the document takes them from
 * the modules that validate requests.
 */
import * as z from 'zod';
import { ERROR_CLASSES } from '../shared/providers/types';
import { STATUSES } from '../shared/domain/renewal';
import { OPERATIONS } from '../shared/domain/canonical';
import { PROVIDERS } from '../shared/system';
import { SCHEDULE_STATUSES } from '../shared/domain/schedule';

const dateTime = () => z.iso.datetime({ offset: true });

export const FieldErrorSchema = z
  .strictObject({
    path: z.string().meta({ description: 'The field, dotted: `email`, `params.startTime`, `query.site_id`, `headers.idempotency-key`, `path.provider`.' }),
    message: z.string(),
  })
  ;

export const ProblemSchema = z
  .strictObject({
    type: z.url(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    instance: z.string().optional().meta({ description: 'On a 5xx: the id to quote to whoever runs the gateway (it is in the logs).' }),
    errors: z.array(FieldErrorSchema).optional().meta({ description: 'On a 400 or 422: every field that is wrong.' }),
  })
  .meta({ description: 'An RFC 9457 problem document (`application/problem+json`).' });

export const AttemptSchema = z
  .strictObject({
    number: z.int().min(1),
    startedAt: dateTime(),
    latencyMs: z.number().min(0),
    httpStatus: z.int().optional(),
    errorClass: z.enum(ERROR_CLASSES),
    message: z.string().meta({ description: 'The provider’s message or the reason, sanitized (no secrets, emails masked).' }),
    retryAfterSeconds: z.number().optional(),
    confirmation: z.enum(['renewed', 'not-renewed', 'unknown']).optional().meta({ description: 'What the provider’s read API said about an outcome that was not known.' }),
  })
  ;

export const RenewalSchema = z
  .strictObject({
    id: z.string(),
    provider: z.enum(PROVIDERS),
    operation: z.enum(OPERATIONS),
    subscription: z.string(),
    params: z.record(z.string(), z.unknown()).meta({ description: 'The params, without secret fields.' }),
    status: z.enum(STATUSES),
    statusReason: z.string().optional(),
    duplicateOf: z.string().optional().meta({ description: 'The renewal that did (or does) the work for the same subscription and period.' }),
    idempotencyKey: z.string(),
    notBefore: dateTime().optional(),
    nextAttemptAt: dateTime().optional(),
    createdAt: dateTime(),
    updatedAt: dateTime(),
    attemptCount: z.int().min(0),
    attempts: z.array(AttemptSchema),
    outcome: AttemptSchema.nullable().meta({ description: 'The last attempt, once the renewal has ended; null before.' }),
  })
  ;

export const RenewalListSchema = z
  .strictObject({
    items: z.array(RenewalSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  ;

export const AcceptedSchema = z
  .strictObject({ id: z.string(), status: z.enum(STATUSES), idempotencyKey: z.string() })
  .meta({ description: 'The renewal accepted (202) or found again for a repeat of the same request (200); `Location` points at it.' });

const term = z.strictObject({ startTime: dateTime(), endTime: dateTime() });

export const ScheduleSchema = z
  .strictObject({
    provider: z.enum(PROVIDERS),
    subscription: z.string(),
    operation: z.enum(OPERATIONS),
    params: z.record(z.string(), z.unknown()),
    cadence: z.string(),
    status: z.enum(SCHEDULE_STATUSES),
    term: term.optional(),
    nextRunAt: dateTime().nullable(),
    nextPeriod: z.strictObject({ start: dateTime(), term: term.optional() }).nullable(),
    lastRenewal: z
      .strictObject({ id: z.string(), periodStart: dateTime().optional(), queuedAt: dateTime().optional(), status: z.enum(STATUSES).nullable() })
      .nullable(),
    createdAt: dateTime(),
    updatedAt: dateTime(),
  })
  ;

/** Every named schema (`#/components/schemas/<name>`), in the order the document lists them. */
export const COMPONENTS: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['FieldError', FieldErrorSchema],
  ['Problem', ProblemSchema],
  ['Attempt', AttemptSchema],
  ['Renewal', RenewalSchema],
  ['RenewalList', RenewalListSchema],
  ['Accepted', AcceptedSchema],
  ['Schedule', ScheduleSchema],
];

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

export const HistoryEntrySchema = z
  .strictObject({
    action: z.enum(['retry', 'resolve', 'cancel']),
    by: z.string().meta({ description: 'The operator token’s name (never the token).' }),
    at: dateTime(),
    note: z.string(),
    fromStatus: z.enum(STATUSES),
    toStatus: z.enum(STATUSES),
    outcome: z.enum(['succeeded', 'failed']).optional().meta({ description: 'resolve: what the operator settled at the provider.' }),
    providerState: z.literal('not_renewed').optional().meta({ description: 'retry: what the operator found at the provider when the last outcome was unknown.' }),
    attemptCount: z.int().min(0),
    bulk: z.literal(true).optional().meta({ description: 'Set when the action was one of a bulk retry.' }),
  })
  .meta({ description: 'What an operator did to the renewal, by whom, when and why.' });

export const WaitingForSchema = z
  .strictObject({
    reason: z.enum(['provider_paused', 'rate_limit']),
    until: dateTime(),
    detail: z.string().optional(),
  })
  .meta({ description: 'Why a due renewal (queued or retry_scheduled) has not been called yet, and until when.' });

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
    deadline: dateTime().optional().meta({ description: 'When it must have happened by (a schedule’s: the run’s time plus the provider’s grace).' }),
    nextAttemptAt: dateTime().optional(),
    createdAt: dateTime(),
    updatedAt: dateTime(),
    attemptCount: z.int().min(0),
    attempts: z.array(AttemptSchema),
    outcome: AttemptSchema.nullable().meta({ description: 'The last attempt, once the renewal has ended; null before.' }),
    history: z.array(HistoryEntrySchema).meta({ description: 'Every operator action, oldest first (empty until the first one).' }),
    waitingFor: WaitingForSchema.optional(),
  })
  ;

export const RenewalListSchema = z
  .strictObject({
    items: z.array(RenewalSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  ;

export const RenewalEventSchema = z
  .strictObject({
    id: z.string().meta({ description: '`evt_…`: the same for every delivery of this event (dedupe on it).' }),
    type: z.string().meta({ description: '`renewal.<status>`: renewal.queued, renewal.retry_scheduled, renewal.succeeded, renewal.accepted, renewal.failed, renewal.needs_attention, renewal.cancelled.' }),
    createdAt: dateTime().meta({ description: 'When the status was written.' }),
    data: z.strictObject({
      id: z.string(),
      provider: z.enum(PROVIDERS),
      operation: z.enum(OPERATIONS),
      subscription: z.string(),
      status: z.string(),
      attemptCount: z.int().min(0),
      lastErrorClass: z.enum(ERROR_CLASSES).nullable(),
      reason: z.string().nullable(),
      duplicateOf: z.string().optional(),
    }),
  })
  .meta({ description: 'A status a renewal entered (every one but in_progress).' });

export const EndpointEventSchema = z
  .strictObject({
    id: z.string().meta({ description: '`evt_…`: the same for every delivery of this event (dedupe on it).' }),
    type: z.literal('endpoint.disabled'),
    createdAt: dateTime().meta({ description: 'When the endpoint was disabled.' }),
    data: z.strictObject({
      id: z.string().meta({ description: 'The endpoint, `ep_…`.' }),
      url: z.string(),
      reason: z.string(),
      failingSince: dateTime().meta({ description: 'The first failed delivery of the 5 days of failures that disabled it.' }),
    }),
  })
  .meta({ description: 'An event endpoint that failed every delivery for 5 days was disabled (register it again to resume).' });

export const EventSchema = z.union([RenewalEventSchema, EndpointEventSchema]).meta({ description: 'An event of the log: a renewal’s status, or an endpoint disabled.' });

export const EventListSchema = z
  .strictObject({
    items: z.array(EventSchema),
    nextCursor: z.string().meta({ description: 'Always set: pass as `after` to get only later events; an empty page means nothing new yet.' }),
  })
  ;

export const BulkRetrySchema = z
  .strictObject({
    dryRun: z.boolean(),
    count: z.int().min(0).optional().meta({ description: 'dryRun: how many renewals match the filter now.' }),
    retried: z.int().min(0).optional(),
    retriedIds: z.array(z.string()).optional(),
    skipped: z.array(z.strictObject({ id: z.string(), status: z.int(), reason: z.string() })).optional().meta({ description: 'Renewals of the page not retried, with the status a single retry would have answered and why.' }),
    nextCursor: z.string().nullable().meta({ description: 'Send the same body with this `cursor` to go on; null when the filter is exhausted.' }),
  })
  .meta({ description: 'A bulk retry’s page: what it retried and skipped, or (dry run) how many match.' });

const queueDepth = z.strictObject({ visible: z.int().min(0), inFlight: z.int().min(0), delayed: z.int().min(0) });

export const ProviderHealthSchema = z
  .strictObject({
    provider: z.enum(PROVIDERS),
    name: z.string(),
    pause: z.strictObject({ until: dateTime(), reason: z.string(), since: dateTime().optional() }).nullable().meta({ description: 'Set while calls to the provider are paused (after an auth refusal).' }),
    queue: queueDepth,
    deadLetters: z.int().min(0),
    oldestMessageAgeSeconds: z.null().meta({ description: 'Not served (a CloudWatch metric in AWS); see `oldestQueuedRenewal`.' }),
    oldestQueuedRenewal: z.strictObject({ id: z.string(), createdAt: dateTime(), ageSeconds: z.int().min(0) }).nullable(),
    rateLimit: z.string().nullable(),
    rateLimitedUntil: dateTime().nullable(),
    lastSuccessAt: dateTime().nullable(),
    lastFailureAt: dateTime().nullable(),
    lastFailure: z.strictObject({ status: z.string(), reason: z.string() }).nullable(),
    resumes: z.array(z.strictObject({ by: z.string(), at: dateTime(), note: z.string() })),
    forecast: z
      .strictObject({
        backlog: z.int().min(0).meta({ description: 'Messages in the provider queue (visible, in flight, delayed).' }),
        perSecond: z.number().meta({ description: 'Renewals a second: the rate limit, else one per concurrent batch.' }),
        drainsBy: dateTime().meta({ description: 'When the backlog is forecast to be done at that pace.' }),
        earliestDeadline: dateTime().nullable().meta({ description: 'The earliest deadline among the oldest waiting renewals (queued, retry_scheduled); null when none has one.' }),
        late: z.boolean().meta({ description: 'drainsBy is after earliestDeadline: the alarm BacklogForecastLate fires on the same forecast (made by the sweeper).' }),
      })
      .optional()
      .meta({ description: 'The backlog forecast against the rate limit and the earliest deadline (issue 12). Always served by this version.' }),
    requeued: z.strictObject({ count: z.int().min(0), complete: z.boolean() }).optional().meta({ description: 'resume: the renewals the pause held, queued again now.' }),
  })
  .meta({ description: 'A provider’s state as operators see it: pause, queues, dead letters, rate limit, last outcomes.' });

export const ProviderListSchema = z.strictObject({ items: z.array(ProviderHealthSchema) });

const nullableString = () => z.string().nullable();

export const DeadLetterListSchema = z
  .strictObject({
    provider: z.enum(PROVIDERS),
    count: z.int().min(0),
    items: z.array(
      z.strictObject({
        messageId: z.string(),
        renewalId: nullableString(),
        operation: nullableString(),
        receiveCount: z.int().nullable(),
        firstReceivedAt: nullableString(),
        sentAt: nullableString(),
      }),
    ),
    moveTasks: z
      .array(
        z.strictObject({
          taskHandle: nullableString(),
          status: nullableString(),
          sourceArn: nullableString(),
          destinationArn: nullableString(),
          approximateNumberOfMessagesMoved: z.number().nullable(),
          approximateNumberOfMessagesToMove: z.number().nullable(),
          startedAt: nullableString(),
          failureReason: nullableString(),
        }),
      )
      .nullable()
      .meta({ description: 'Redrives of this DLQ (null where the SQS endpoint cannot list them).' }),
  })
  .meta({ description: 'A provider’s dead letters, looked at without being consumed (never a message body).' });

export const RedriveSchema = z.strictObject({ provider: z.enum(PROVIDERS), taskHandle: z.string(), sourceArn: z.string(), destinationArn: z.string() });

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
    leadTime: z.string().optional().meta({ description: 'How long before each run its renewal is queued (at most P7D, shorter than the cadence); the deadline stays run time + grace.' }),
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

const EndpointSecretSchema = z.strictObject({
  masked: z.string().meta({ description: 'The start of the secret (`whsec_ab12…`): enough to tell secrets apart, not to sign.' }),
  createdAt: dateTime(),
  expiresAt: dateTime().nullable().meta({ description: 'Set on the previous secret by a rotation: it signs beside the new one until then (24 h).' }),
  active: z.boolean().meta({ description: 'Whether deliveries are signed with it now.' }),
});

export const EventEndpointSchema = z
  .strictObject({
    id: z.string().meta({ description: '`ep_…`' }),
    url: z.string().meta({ description: 'Where events are POSTed (https; http on the local stack).' }),
    types: z.array(z.string()).nullable().meta({ description: 'Event types delivered; null: every type.' }),
    description: z.string().nullable(),
    enabled: z.boolean().meta({ description: 'False once it failed for 5 days straight (an `endpoint.disabled` event says so); register it again to resume.' }),
    createdAt: dateTime(),
    createdBy: z.string().meta({ description: 'The operator who registered it.' }),
    secrets: z.array(EndpointSecretSchema).meta({ description: 'Masked: the whole secret is only in the answers of registration and rotation.' }),
    failingSince: dateTime().nullable().meta({ description: 'Start of the current run of failed deliveries; null after a success.' }),
    lastSuccessAt: dateTime().nullable(),
    lastFailureAt: dateTime().nullable(),
    disabledAt: dateTime().nullable(),
    disabledReason: z.string().nullable(),
    slowUntil: dateTime()
      .nullable()
      .meta({ description: 'While set: a delivery call took longer than `DELIVERY_SLOW_CALL_MS` lately, so its deliveries travel on the slow lane until then (they still arrive, at most two endpoints\' calls at a time); null: not slow now.' }),
  })
  .meta({ description: 'A registered event endpoint.' });

export const EventEndpointWithSecretSchema = EventEndpointSchema.extend({
  secret: z.string().meta({ description: 'The new signing secret (`whsec_` + base64 of 24 random bytes): shown this once. Verify deliveries with it (Standard Webhooks).' }),
}).meta({ description: 'A registered endpoint with its new secret (registration, rotation).' });

export const EventEndpointListSchema = z.strictObject({ items: z.array(EventEndpointSchema) });

export const DeliveryAttemptSchema = z.strictObject({
  eventId: z.string(),
  eventType: z.string(),
  attempt: z.int().min(1),
  attemptedAt: dateTime(),
  statusCode: z.int().nullable().meta({ description: 'What the endpoint answered; null when it did not (refused, timed out).' }),
  latencyMs: z.int().min(0),
  error: z.string().nullable().meta({ description: '`HTTP 503`, `timeout after 10000 ms`, `ECONNREFUSED`…; null when delivered.' }),
  outcome: z.enum(['delivered', 'retry', 'dead']),
  nextAttemptAt: dateTime().optional(),
  replay: z.boolean().optional(),
});

export const DeliveryListSchema = z.strictObject({
  endpointId: z.string(),
  items: z.array(DeliveryAttemptSchema).meta({ description: 'Latest attempts first (kept 30 days).' }),
  deadLetters: z.array(z.strictObject({ eventId: z.string(), reason: z.enum(['gone', 'exhausted']), attempts: z.int().min(1), at: dateTime() })).meta({
    description: 'Deliveries given up: `gone` (the endpoint answered 410), `exhausted` (27.6 h of retries). Replay sends them again.',
  }),
});

export const ReplaySchema = z.strictObject({
  endpointId: z.string(),
  since: dateTime(),
  queued: z.int().min(0).meta({ description: 'Events queued for delivery again (same webhook-id: receivers dedupe).' }),
  truncated: z.boolean().meta({ description: 'More than 1000 events: replay again from `lastCreatedAt`.' }),
  lastCreatedAt: dateTime().nullable(),
});

/** This document itself, as `GET /openapi.json` serves it. */
export const OpenApiDocumentSchema = z
  .looseObject({
    openapi: z.string().meta({ description: 'The OpenAPI version: 3.1.x.' }),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  })
  .meta({ description: 'An OpenAPI 3.1 document (this one).' });

/** Every named schema (`#/components/schemas/<name>`), in the order the document lists them. */
export const COMPONENTS: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['FieldError', FieldErrorSchema],
  ['Problem', ProblemSchema],
  ['Attempt', AttemptSchema],
  ['Renewal', RenewalSchema],
  ['RenewalList', RenewalListSchema],
  ['Accepted', AcceptedSchema],
  ['Event', EventSchema],
  ['RenewalEvent', RenewalEventSchema],
  ['EndpointEvent', EndpointEventSchema],
  ['EventList', EventListSchema],
  ['Schedule', ScheduleSchema],
  ['HistoryEntry', HistoryEntrySchema],
  ['WaitingFor', WaitingForSchema],
  ['BulkRetry', BulkRetrySchema],
  ['ProviderHealth', ProviderHealthSchema],
  ['ProviderList', ProviderListSchema],
  ['DeadLetterList', DeadLetterListSchema],
  ['Redrive', RedriveSchema],
  ['EventEndpoint', EventEndpointSchema],
  ['EventEndpointWithSecret', EventEndpointWithSecretSchema],
  ['EventEndpointList', EventEndpointListSchema],
  ['DeliveryAttempt', DeliveryAttemptSchema],
  ['DeliveryList', DeliveryListSchema],
  ['Replay', ReplaySchema],
  ['OpenApiDocument', OpenApiDocumentSchema],
];

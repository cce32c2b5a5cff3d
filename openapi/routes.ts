/**
 * What the OpenAPI document says about each gateway route (provider native routes come from each
 * provider's `openapi.ts`). Request schemas are the ones the handlers validate with; every
 * example is checked by test/unit/openapi.test.ts against those schemas and the handlers' own
 * checks, and every response example against openapi/schemas.ts.
 */
import * as z from 'zod';
import type { FieldError } from '../shared/http/problem';
import { issuesToFieldErrors } from '../shared/domain/canonical';
import { scheduleBody } from '../shared/domain/schedule-request';
import { scheduleFromRequest } from '../shared/domain/schedule';
import { listPath, listQuery } from '../functions/status/list-schema';
import { AcceptedSchema, BulkRetrySchema, DeadLetterListSchema, EventListSchema, OpenApiDocumentSchema, ProviderHealthSchema, ProviderListSchema, RedriveSchema, RenewalListSchema, RenewalSchema, ScheduleSchema } from './schemas';
import { eventsQuery } from '../functions/status/events-request';
import { bulkRetryBody, cancelBody, inboxQuery, renewalIdPath, resolveBody, retryBody } from '../shared/http/schemas/renewals';
import { deadLettersQuery, providerPath, redriveBody, resumeBody } from '../shared/http/schemas/providers';
import { createBody as endpointCreateBody, deliveriesQuery as endpointDeliveriesQuery, endpointIdPath, replayBody as endpointReplayBody, rotateBody as endpointRotateBody } from '../functions/operator/endpoints';
import { DeliveryListSchema, EventEndpointListSchema, EventEndpointSchema, EventEndpointWithSecretSchema, ReplaySchema } from './schemas';

export interface HeaderDoc {
  readonly description: string;
  readonly required: boolean;
}

export interface ResponseDoc {
  readonly description: string;
  /** A schema of openapi/schemas.ts (referenced by name), or none for an empty body. */
  readonly schema?: z.ZodType;
  readonly example?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface BodyDoc {
  /** The schema the handler parses the body with (the canonical request's is built per provider). */
  readonly schema: z.core.$ZodType;
  readonly examples: Readonly<Record<string, unknown>>;
  /** The handler's checks beyond the schema, run on each example by the test: the errors it finds. */
  readonly check?: (example: unknown) => Promise<readonly FieldError[]>;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly path?: z.core.$ZodObject;
  readonly query?: z.core.$ZodObject;
  readonly headers?: Readonly<Record<string, HeaderDoc>>;
  readonly body?: BodyDoc;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
}

/** The problem statuses each kind of route can answer, with what each means there. */
export const SIGNED_PROBLEMS: Readonly<Record<number, string>> = {
  400: 'Malformed: not JSON, not UTF-8, a bad idempotency key or path. `errors` names the fields.',
  401: 'The signature does not verify, or its timestamp is outside the 300 s tolerance.',
  409: 'The webhook-id was accepted before for a different request (a replay with an unsigned part changed), or the idempotency key was first used for a different request.',
  413: 'The body is larger than 64 KiB.',
  415: 'The body is not `application/json`.',
  422: 'Valid JSON that is not a valid request: `errors` names every field that is wrong.',
  503: 'Briefly unable to store or queue the request; retry with the same webhook-id and idempotency key (`Retry-After`).',
};
/** A route without a credential (the API description) answers no problem of its own. */
export const PUBLIC_PROBLEMS: Readonly<Record<number, string>> = {};

export const READ_PROBLEMS: Readonly<Record<number, string>> = {
  400: 'A path or query parameter is not valid: `errors` names it.',
  401: 'No read token, or not a valid one (`WWW-Authenticate: Bearer`).',
  503: 'A secret could not be read; retry shortly.',
};
/** Operator routes: an operator token only (checked before the body is read). */
export const OPERATOR_PROBLEMS: Readonly<Record<number, string>> = {
  400: 'A path or query parameter is not valid, or the body is not JSON: `errors` names it.',
  401: 'No token, or not a valid one (`WWW-Authenticate: Bearer`).',
  403: 'A read token: this route needs an operator token.',
  413: 'The body is larger than 16 KiB.',
  415: 'The body is not `application/json`.',
  422: 'Valid JSON that is not a valid request: `errors` names every field that is wrong (a `note` is always required).',
  503: 'A secret could not be read; retry shortly.',
};

export const SIGNATURE_HEADERS: Readonly<Record<string, HeaderDoc>> = {
  'webhook-id': { description: 'Standard Webhooks message id; unique per message, bound to what the message asks for.', required: true },
  'webhook-timestamp': { description: 'Standard Webhooks timestamp (Unix seconds); refused beyond 300 s from now.', required: true },
  'webhook-signature': {
    description: 'Standard Webhooks signature(s): `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{raw body}">`, space-separated.',
    required: true,
  },
};
export const IDEMPOTENCY_HEADER: Readonly<Record<string, HeaderDoc>> = {
  'idempotency-key': {
    description:
      'Optional, 1–255 visible ASCII characters; the webhook-id when absent. A repeat with the same key and request answers the same renewal (200); with another request, 409. It is part of what the webhook-id is bound to.',
    required: false,
  },
};

const renewalExample = {
  id: 'rnw_2m5kq7vb3x4y6z7a2b3c4d5e6f',
  provider: 'pressone',
  operation: 'renew',
  subscription: 'jane.doe@example.com',
  params: {},
  status: 'succeeded',
  idempotencyKey: 'order-7781-renewal-3',
  createdAt: '2026-12-01T00:00:01.120Z',
  updatedAt: '2026-12-01T00:00:02.004Z',
  attemptCount: 1,
  attempts: [{ number: 1, startedAt: '2026-12-01T00:00:01.450Z', latencyMs: 412, httpStatus: 200, errorClass: 'success', message: 'PressOne renewed the number' }],
  outcome: { number: 1, startedAt: '2026-12-01T00:00:01.450Z', latencyMs: 412, httpStatus: 200, errorClass: 'success', message: 'PressOne renewed the number' },
  history: [],
};

const operatorRenewalExample = {
  ...renewalExample,
  status: 'queued',
  updatedAt: '2026-12-01T09:14:00.000Z',
  attemptCount: 2,
  attempts: [
    { number: 1, startedAt: '2026-12-01T00:00:01.450Z', latencyMs: 412, httpStatus: 401, errorClass: 'auth', message: 'Unauthorized' },
    { number: 2, startedAt: '2026-12-01T00:10:01.450Z', latencyMs: 30000, errorClass: 'ambiguous', message: 'the call timed out' },
  ],
  outcome: null,
  history: [
    { action: 'retry', by: 'alice', at: '2026-12-01T09:14:00.000Z', note: 'PressOne confirmed it did not renew (ticket 4411)', fromStatus: 'needs_attention', toStatus: 'queued', providerState: 'not_renewed', attemptCount: 2 },
  ],
};

const providerExample = {
  provider: 'pressone',
  name: 'PressOne',
  pause: null,
  queue: { visible: 0, inFlight: 1, delayed: 3 },
  deadLetters: 2,
  oldestMessageAgeSeconds: null,
  oldestQueuedRenewal: { id: renewalExample.id, createdAt: '2026-12-01T00:00:01.120Z', ageSeconds: 95 },
  rateLimit: null,
  rateLimitedUntil: null,
  lastSuccessAt: '2026-12-01T00:01:36.000Z',
  lastFailureAt: '2026-11-30T22:10:00.000Z',
  lastFailure: { status: 'needs_attention', reason: 'PressOne refused the API key' },
  resumes: [{ by: 'alice', at: '2026-11-30T22:20:00.000Z', note: 'key rotated' }],
};

/** The operator function's check of a body: the schema alone, its issues named as the handler names them (422). */
const schemaCheck =
  (schema: z.core.$ZodType) =>
  (example: unknown): Promise<readonly FieldError[]> => {
    const r = z.safeParse(schema, example);
    return Promise.resolve(r.success ? [] : issuesToFieldErrors(r.error.issues));
  };

const renewalAction = (summary: string, description: string, body: BodyDoc): RouteDoc => ({
  summary,
  description,
  tags: ['operators'],
  path: renewalIdPath,
  body,
  responses: {
    200: { description: 'The renewal after the action, with its history.', schema: RenewalSchema, example: operatorRenewalExample },
    404: { description: 'No such renewal.' },
    409: { description: 'The action does not apply to the renewal as it stands, or it changed meanwhile (a consumer or another operator wrote first): `detail` says which.' },
  },
});

const scheduleExample = {
  provider: 'punchh',
  subscription: '40',
  operation: 'renew',
  params: { purchasePrice: 9.99 },
  cadence: 'P1M',
  status: 'active',
  term: { startTime: '2026-11-01T00:00:00.000Z', endTime: '2026-12-01T00:00:00.000Z' },
  nextRunAt: '2026-12-01T00:00:00.000Z',
  nextPeriod: { start: '2026-12-01T00:00:00.000Z', term: { startTime: '2026-12-01T00:00:00.000Z', endTime: '2027-01-01T00:00:00.000Z' } },
  lastRenewal: null,
  createdAt: '2026-11-29T08:00:00.000Z',
  updatedAt: '2026-11-29T08:00:00.000Z',
};

const scheduleCheck =
  (provider: string, subscription: string) =>
  async (example: unknown): Promise<readonly FieldError[]> => {
    const r = await scheduleFromRequest(provider, subscription, example, new Date('2026-11-29T08:00:00Z'));
    return r.ok ? [] : r.errors;
  };

/** What every renewal write answers (the canonical route and each native route). */
export const ACCEPTED_RESPONSES: Readonly<Record<number, ResponseDoc>> = {
  202: {
    description: 'Accepted: stored and queued.',
    schema: AcceptedSchema,
    headers: { location: 'The renewal: `/v1/renewals/{id}`.' },
    example: { id: renewalExample.id, status: 'queued', idempotencyKey: renewalExample.idempotencyKey },
  },
  200: { description: 'A repeat of a request already accepted: the same renewal, nothing renewed again.', schema: AcceptedSchema, headers: { location: 'The renewal: `/v1/renewals/{id}`.' } },
};

/** The check of a zod/mini body schema: its issues named as the handler names them (422). */
const miniCheck =
  (schema: z.core.$ZodType) =>
  (example: unknown): Promise<readonly FieldError[]> => {
    const r = z.safeParse(schema, example);
    return Promise.resolve(r.success ? [] : issuesToFieldErrors(r.error.issues));
  };

const endpointExample = {
  id: 'ep_3f9a1c0e7b5d2a4c6e8f0a1b2c',
  url: 'https://billing.example.com/hooks/renewals',
  types: null,
  description: null,
  enabled: true,
  createdAt: '2026-11-29T08:00:00.000Z',
  createdBy: 'alice',
  secrets: [{ masked: 'whsec_MfKQ…', createdAt: '2026-11-29T08:00:00.000Z', expiresAt: null, active: true }],
  failingSince: null,
  lastSuccessAt: '2026-12-01T00:00:08.000Z',
  lastFailureAt: null,
  disabledAt: null,
  disabledReason: null,
  slowUntil: null,
};
const endpointExampleWithSecret = { ...endpointExample, lastSuccessAt: null, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };

export const coreRoutes = (canonicalBody: BodyDoc): Readonly<Record<string, RouteDoc>> => ({
  'POST /v1/renewals': {
    summary: 'Ask for a renewal (canonical request)',
    description:
      'One body for every provider: `{provider, operation, subscription, params?, notBefore?, deadline?}`. Checked, stored and queued before it answers; renewed exactly once per idempotency key and, where the provider has periods, per period.',
    tags: ['renewals'],
    headers: { ...SIGNATURE_HEADERS, ...IDEMPOTENCY_HEADER },
    body: canonicalBody,
    responses: ACCEPTED_RESPONSES,
  },
  'GET /v1/renewals/{id}': {
    summary: 'A renewal, with every attempt',
    description: 'Its status, the reason for it, every attempt (status code, class, sanitized message, latency) and the outcome once it has ended.',
    tags: ['renewals'],
    path: z.object({ id: z.string().meta({ description: 'The renewal id, `rnw_` and 26 base32 characters.' }) }),
    responses: {
      200: { description: 'The renewal.', schema: RenewalSchema, example: renewalExample },
      404: { description: 'No such renewal.' },
    },
  },
  'GET /v1/subscriptions/{provider}/{subscriptionRef}/renewals': {
    summary: 'A subscription’s renewals, newest first',
    description: 'Paged with `limit` and the opaque `cursor` of the previous page.',
    tags: ['renewals'],
    path: listPath,
    query: listQuery,
    responses: { 200: { description: 'A page of renewals.', schema: RenewalListSchema, example: { items: [renewalExample], nextCursor: null } } },
  },
  'GET /v1/events': {
    summary: 'Outcome events, oldest first, after a cursor',
    description:
      'Every status a renewal entered except in_progress, in the order the event log took them, kept 35 days. Poll with the `nextCursor` of the previous answer as `after`: no event is skipped or returned twice, even while events are being written.',
    tags: ['events'],
    query: eventsQuery,
    responses: {
      200: {
        description: 'A page of events and the cursor after it.',
        schema: EventListSchema,
        example: {
          items: [
            {
              id: 'evt_5f0c6f0e8b1d4f7a9c2e3b4d5a6f7e8d',
              type: 'renewal.succeeded',
              createdAt: '2026-12-01T00:00:02.004Z',
              data: { id: renewalExample.id, provider: 'pressone', operation: 'renew', subscription: 'jane.doe@example.com', status: 'succeeded', attemptCount: 1, lastErrorClass: 'success', reason: 'PressOne renewed the number' },
            },
          ],
          nextCursor: '42',
        },
      },
    },
  },
  'GET /openapi.json': {
    summary: 'This API description',
    description:
      'The OpenAPI 3.1 document of every public and operator route, generated from the schemas that validate requests (`npm run openapi`, checked in as `openapi.json`). No credential needed: it holds no secret.',
    tags: ['meta'],
    responses: {
      200: {
        description: 'The document (`Cache-Control: public, max-age=300`).',
        schema: OpenApiDocumentSchema,
        example: { openapi: '3.1.0', info: { title: 'Renewal gateway', version: '1' }, paths: { '/v1/renewals': { post: {} } } },
      },
    },
  },
  'GET /v1/renewals': {
    summary: 'The operators’ inbox: renewals not finished or needing a person, oldest first',
    description:
      'Across subscriptions: `queued`, `in_progress`, `retry_scheduled`, `needs_attention` and `failed` renewals, filtered by `status` and `provider` (both optional), oldest first. Pass `nextCursor` back as `cursor` with the same filter. A read or an operator token.',
    tags: ['operators'],
    query: inboxQuery,
    responses: { 200: { description: 'A page of the inbox.', schema: RenewalListSchema, example: { items: [operatorRenewalExample], nextCursor: null } } },
  },
  'POST /v1/renewals/{id}/retry': renewalAction(
    'Retry a renewal',
    'A `failed` or `needs_attention` renewal (or a `queued` one whose message could not be sent) goes back to `queued` and is sent to its provider’s queue at once. When the last outcome is unknown the operator must say what the provider shows (`providerState`).',
    { schema: retryBody, check: schemaCheck(retryBody), examples: { retry: { note: 'PressOne confirmed it did not renew (ticket 4411)', providerState: 'not_renewed' } } },
  ),
  'POST /v1/renewals/{id}/resolve': renewalAction(
    'Settle a renewal by hand',
    'Records what the operator settled at the provider: `succeeded` (the period stays taken) or `failed` (the period is released). The renewal leaves the inbox.',
    { schema: resolveBody, check: schemaCheck(resolveBody), examples: { resolve: { note: 'renewed by hand in the PressOne console', outcome: 'succeeded' } } },
  ),
  'POST /v1/renewals/{id}/cancel': renewalAction(
    'Cancel a renewal',
    'Nothing calls the provider for it again; its status becomes `cancelled` and it leaves the inbox.',
    { schema: cancelBody, check: schemaCheck(cancelBody), examples: { cancel: { note: 'the customer closed the account' } } },
  ),
  'POST /v1/renewals/retry': {
    summary: 'Retry many renewals',
    description:
      'Retries a page of the renewals matching `filter` (`failed` or `needs_attention`, optionally a provider and `createdBefore`), each as a single retry would, and answers where to go on (`nextCursor`). `dryRun` counts what matches and changes nothing.',
    tags: ['operators'],
    body: {
      schema: bulkRetryBody,
      check: schemaCheck(bulkRetryBody),
      examples: {
        dryRun: { filter: { status: 'needs_attention', provider: 'pressone' }, note: 'PressOne key rotated', dryRun: true },
        retry: { filter: { status: 'needs_attention', provider: 'pressone', createdBefore: '2026-12-01T09:00:00Z' }, note: 'PressOne key rotated' },
      },
    },
    responses: {
      200: {
        description: 'What was retried and skipped, or (dry run) how many match.',
        schema: BulkRetrySchema,
        example: { dryRun: false, retried: 1, retriedIds: [renewalExample.id], skipped: [], nextCursor: null },
      },
    },
  },
  'GET /v1/providers': {
    summary: 'Each provider’s health',
    description: 'Pause, queue depths, dead letters, rate limit, last success and failure, and operators’ resumes, per provider. A read or an operator token.',
    tags: ['operators'],
    responses: { 200: { description: 'Every provider.', schema: ProviderListSchema, example: { items: [providerExample] } } },
  },
  'POST /v1/providers/{provider}/resume': {
    summary: 'Resume a paused provider',
    description: 'Lifts the pause an auth refusal set (after the credentials were fixed) and queues again at once the renewals it held.',
    tags: ['operators'],
    path: providerPath,
    body: { schema: resumeBody, check: schemaCheck(resumeBody), examples: { resume: { note: 'PressOne key rotated' } } },
    responses: {
      200: { description: 'The provider, resumed, with the renewals queued again.', schema: ProviderHealthSchema, example: { ...providerExample, requeued: { count: 3, complete: true } } },
      409: { description: 'The provider is not paused, or its pause changed meanwhile.' },
    },
  },
  'GET /v1/providers/{provider}/dead-letters': {
    summary: 'A provider’s dead letters',
    description: 'How many messages its DLQ holds and up to `limit` of them (ids, renewal, receive count; never a body), looked at without being consumed, and its redrives.',
    tags: ['operators'],
    path: providerPath,
    query: deadLettersQuery,
    responses: {
      200: {
        description: 'The dead letters.',
        schema: DeadLetterListSchema,
        example: {
          provider: 'pressone',
          count: 1,
          items: [{ messageId: '5fea7756-0ea4-451a-a703-a558b933e274', renewalId: renewalExample.id, operation: 'renew', receiveCount: 6, firstReceivedAt: '2026-12-01T00:00:02.000Z', sentAt: '2026-12-01T00:00:01.200Z' }],
          moveTasks: [],
        },
      },
    },
  },
  'POST /v1/providers/{provider}/dead-letters/redrive': {
    summary: 'Move a provider’s dead letters back to its queue',
    description: 'Starts an SQS message move task from the DLQ to the provider’s queue; each renewal is renewed at most once all the same (the record is the lock).',
    tags: ['operators'],
    path: providerPath,
    body: { schema: redriveBody, check: schemaCheck(redriveBody), examples: { redrive: { note: 'PressOne outage over', maxMessagesPerSecond: 10 } } },
    responses: {
      202: {
        description: 'The move task started.',
        schema: RedriveSchema,
        example: { provider: 'pressone', taskHandle: 'eyJ0YXNrSWQiOiJkYzE2…', sourceArn: 'arn:aws:sqs:us-east-1:123456789012:pressone-dlq', destinationArn: 'arn:aws:sqs:us-east-1:123456789012:pressone' },
      },
      409: { description: 'The redrive could not start (one is already running).' },
      501: { description: 'This SQS endpoint does not support message move tasks.' },
    },
  },
  'PUT /v1/subscriptions/{provider}/{subscriptionRef}/schedule': {
    summary: 'Set (or replace) a subscription’s renewal schedule',
    description:
      'Renews every `cadence` from `nextRunAt`. A replayed webhook-id is answered without being applied again. Punchh schedules carry the current `term`; each run renews the next one.',
    tags: ['schedules'],
    path: listPath,
    headers: SIGNATURE_HEADERS,
    body: {
      schema: scheduleBody,
      examples: {
        punchh: { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { purchasePrice: 9.99 }, term: { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' } },
      },
      check: scheduleCheck('punchh', '40'),
    },
    responses: {
      201: { description: 'The schedule, set.', schema: ScheduleSchema, example: scheduleExample },
      200: { description: 'The schedule, replaced (or a replay, answered as it stands).', schema: ScheduleSchema },
    },
  },
  'GET /v1/subscriptions/{provider}/{subscriptionRef}/schedule': {
    summary: 'A subscription’s schedule, with its next period and last renewal',
    description: 'What is due next and how the last run’s renewal stands.',
    tags: ['schedules'],
    path: listPath,
    responses: { 200: { description: 'The schedule.', schema: ScheduleSchema, example: scheduleExample }, 404: { description: 'No schedule for this subscription.' } },
  },
  'DELETE /v1/subscriptions/{provider}/{subscriptionRef}/schedule': {
    summary: 'Cancel a subscription’s schedule',
    description: 'No further runs; renewals already queued go on. A replayed webhook-id does not cancel a schedule set again since.',
    tags: ['schedules'],
    path: listPath,
    headers: SIGNATURE_HEADERS,
    responses: { 204: { description: 'Cancelled (or already cancelled by this message).' }, 404: { description: 'No schedule for this subscription.' } },
  },
  // Push delivery of events (README "Pushing events to endpoints"): operator token only.
  'POST /v1/event-endpoints': {
    summary: 'Register an endpoint for pushed events',
    description:
      'Events (every type, or `types`) are POSTed to `url`, signed the Standard Webhooks way with the secret answered here (once): `webhook-id` is the event id (dedupe on it), `webhook-timestamp`, `webhook-signature`. Retried for 27.6 h (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), at least `Retry-After`; a 410 stops; an endpoint failing for 5 days is disabled. https only in AWS.',
    tags: ['event endpoints'],
    body: { schema: endpointCreateBody(false), check: miniCheck(endpointCreateBody(false)), examples: { all: { url: 'https://billing.example.com/hooks/renewals' }, failures: { url: 'https://ops.example.com/hooks', types: ['renewal.failed', 'renewal.needs_attention'], description: 'ops pager' } } },
    responses: { 201: { description: 'Registered; `secret` is shown this once.', schema: EventEndpointWithSecretSchema, example: endpointExampleWithSecret } },
  },
  'GET /v1/event-endpoints': {
    summary: 'Registered event endpoints',
    description: 'Every endpoint, enabled or not, with its secrets masked.',
    tags: ['event endpoints'],
    responses: { 200: { description: 'The endpoints.', schema: EventEndpointListSchema, example: { items: [endpointExample] } } },
  },
  'GET /v1/event-endpoints/{id}': {
    summary: 'One event endpoint',
    description: 'Its types, state (failing since, disabled) and secrets, masked.',
    tags: ['event endpoints'],
    path: endpointIdPath,
    responses: { 200: { description: 'The endpoint.', schema: EventEndpointSchema, example: endpointExample }, 404: { description: 'No such endpoint.' } },
  },
  'DELETE /v1/event-endpoints/{id}': {
    summary: 'Delete an event endpoint',
    description: 'Nothing more is delivered to it; deliveries already queued are dropped.',
    tags: ['event endpoints'],
    path: endpointIdPath,
    responses: { 204: { description: 'Deleted.' }, 404: { description: 'No such endpoint.' } },
  },
  'POST /v1/event-endpoints/{id}/rotate-secret': {
    summary: 'Rotate an endpoint’s signing secret',
    description: 'Answers the new secret (once). For 24 h deliveries carry two signatures in `webhook-signature`, one per secret, so the receiver can switch when it likes. The body may be left out.',
    tags: ['event endpoints'],
    path: endpointIdPath,
    body: { schema: endpointRotateBody, check: miniCheck(endpointRotateBody), examples: { empty: {} } },
    responses: {
      200: { description: 'Rotated; `secret` is the new one.', schema: EventEndpointWithSecretSchema, example: endpointExampleWithSecret },
      404: { description: 'No such endpoint.' },
      409: { description: 'Another rotation changed the secrets first; nothing was done.' },
    },
  },
  'GET /v1/event-endpoints/{id}/deliveries': {
    summary: 'An endpoint’s delivery attempts and dead letters',
    description: 'Latest attempts first: event, time, status code, latency, error, what followed.',
    tags: ['event endpoints'],
    path: endpointIdPath,
    query: endpointDeliveriesQuery,
    responses: {
      200: {
        description: 'The attempts.',
        schema: DeliveryListSchema,
        example: {
          endpointId: endpointExample.id,
          items: [
            { eventId: 'evt_5f0c2a9d7e4b4c1f8a3e6d2b9c0a1f7e', eventType: 'renewal.succeeded', attempt: 2, attemptedAt: '2026-12-01T00:00:08.000Z', statusCode: 204, latencyMs: 83, error: null, outcome: 'delivered' },
            { eventId: 'evt_5f0c2a9d7e4b4c1f8a3e6d2b9c0a1f7e', eventType: 'renewal.succeeded', attempt: 1, attemptedAt: '2026-12-01T00:00:02.500Z', statusCode: 503, latencyMs: 41, error: 'HTTP 503', outcome: 'retry', nextAttemptAt: '2026-12-01T00:00:07.500Z' },
          ],
          deadLetters: [],
        },
      },
      404: { description: 'No such endpoint.' },
    },
  },
  'POST /v1/event-endpoints/{id}/replay': {
    summary: 'Send an endpoint the events logged since a time again',
    description: 'From the event log (kept 35 days), those of its types, with their original ids: a receiver that already has one dedupes it. At most 1000 per call.',
    tags: ['event endpoints'],
    path: endpointIdPath,
    body: { schema: endpointReplayBody, check: miniCheck(endpointReplayBody), examples: { lastHour: { since: '2026-12-01T00:00:00Z' } } },
    responses: {
      202: { description: 'Queued for delivery.', schema: ReplaySchema, example: { endpointId: endpointExample.id, since: '2026-12-01T00:00:00.000Z', queued: 12, truncated: false, lastCreatedAt: '2026-12-01T00:40:12.004Z' } },
      404: { description: 'No such endpoint.' },
      409: { description: 'The endpoint is disabled.' },
    },
  },
});

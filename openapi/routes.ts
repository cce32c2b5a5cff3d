/**
 * What the OpenAPI document says about each gateway route (provider native routes come from each
 * provider's `openapi.ts`). Request schemas are the ones the handlers validate with; every
 * example is checked by test/unit/openapi.test.ts against those schemas and the handlers' own
 * checks, and every response example against openapi/schemas.ts.
 */
import * as z from 'zod';
import type { FieldError } from '../shared/http/problem';
import { scheduleBody } from '../shared/domain/schedule-request';
import { scheduleFromRequest } from '../shared/domain/schedule';
import { listPath, listQuery } from '../functions/status/list-schema';
import { AcceptedSchema, RenewalListSchema, RenewalSchema, ScheduleSchema } from './schemas';

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
export const READ_PROBLEMS: Readonly<Record<number, string>> = {
  400: 'A path or query parameter is not valid: `errors` names it.',
  401: 'No read token, or not a valid one (`WWW-Authenticate: Bearer`).',
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
};

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

export const coreRoutes = (canonicalBody: BodyDoc): Readonly<Record<string, RouteDoc>> => ({
  'POST /v1/renewals': {
    summary: 'Ask for a renewal (canonical request)',
    description:
      'One body for every provider: `{provider, operation, subscription, params?, notBefore?}`. Checked, stored and queued before it answers; renewed exactly once per idempotency key and, where the provider has periods, per period.',
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
});

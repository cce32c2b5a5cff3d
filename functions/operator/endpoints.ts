/**
 * The event-endpoint routes of the operator function (README "Pushing events to endpoints"),
 * loaded on their first call: register an endpoint (its `whsec_` secret is answered once), list,
 * show, delete, rotate the secret (the old one signs beside the new one for 24 h), its delivery
 * attempts, and replay the events logged since a time. Operator tokens only: a read token gets 403
 * (bearerAuth, from the system description), since these routes hand out signing secrets.
 *
 * Bad input is a 422 (body) or 400 (query) problem document naming the field, and changes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from '../../shared/zod';
import type { Env } from '../../shared/config';
import type { Logger } from '../../shared/logger';
import { actionConflict, badRequest, notFound, serviceUnavailable, unprocessable } from '../../shared/http/problem';
import type { FieldError } from '../../shared/http/problem';
import { EVENT_TYPE } from '../../shared/events/types';
import type { EndpointRecord, EndpointStore } from '../../shared/adapters/event-endpoints';
import { endpointView } from '../../shared/delivery/view';
import type { EventLog } from '../../shared/adapters/event-log';
import { generateSecret, rotateSecrets, wantsType } from '../../shared/delivery/policy';
import type { DeliveryEntry, DeliveryQueue } from '../../shared/delivery/queue';
import { ALLOW_HTTP_ENV, isPublicHost, publicHostsOnly } from '../../shared/http/public-address';

/** `true` lets endpoints use plain http and local receivers (the local stack); otherwise https only. */
export { ALLOW_HTTP_ENV };
/** At most this many events are sent again by one replay call; the answer says where to go on. */
export const REPLAY_MAX_EVENTS = 1000;

/**
 * Built by the operator function with its other adapters (functions/operator/app.ts): this module,
 * loaded lazily, imports no SDK client itself, so loading it lazily keeps them out of the
 * operator's cold start instead of turning its SDK modules into lazily initialised ones.
 */
export interface EndpointRouteDeps {
  readonly store: EndpointStore;
  readonly log: EventLog;
  /** The delivery queue (DELIVERY_QUEUE_URL); absent: replay answers 503. */
  readonly queue: DeliveryQueue | undefined;
  readonly logger: Logger;
  readonly env: Env;
  readonly now: () => Date;
  /**
   * The HTTP helpers the operator function already holds, handed in rather than imported: an import
   * from this lazily loaded module would make esbuild wrap them (and the middy, logger and provider
   * registry modules behind them) as lazily initialised modules in the whole bundle.
   */
  readonly http: {
    readonly json: (statusCode: number, body: unknown) => APIGatewayProxyStructuredResultV2;
    readonly body: (event: APIGatewayProxyEventV2) => unknown;
    readonly operatorName: (event: APIGatewayProxyEventV2) => string;
    readonly fieldErrors: (issues: readonly z.core.$ZodIssue[], prefix?: readonly (string | number)[]) => FieldError[];
  };
}

const ENDPOINT_ID = /^ep_[0-9a-f]{26}$/;

const parsedUrl = (v: string): URL | undefined => {
  try {
    return new URL(v);
  } catch {
    return undefined;
  }
};

const urlField = (allowHttp: boolean) =>
  z.string().check(
    z.maxLength(2048),
    z.refine((v) => {
      const u = parsedUrl(v);
      return u !== undefined && (u.protocol === 'https:' || (allowHttp && u.protocol === 'http:'));
    }, allowHttp ? 'must be an http or https URL' : 'must be an https URL'),
    // A password in the URL would be shown by every GET of the endpoint and sent in the clear to logs.
    z.refine((v) => {
      const u = parsedUrl(v);
      return u === undefined || (u.username === '' && u.password === '');
    }, 'must not carry a user name or password (the endpoint verifies the signature instead)'),
    // Locally (EVENT_ENDPOINTS_ALLOW_HTTP) the receiver is on this machine; in AWS, only public hosts
    // (shared/http/public-address.ts; the delivery function checks what the name resolves to).
    z.refine((v) => {
      const u = parsedUrl(v);
      return allowHttp || u === undefined || isPublicHost(u.hostname);
    }, 'must name a public host (not localhost, a private, link-local or metadata address)'),
  );

export const createBody = (allowHttp: boolean) =>
  z.strictObject({
    url: urlField(allowHttp),
    types: z.optional(z.array(z.string().check(z.regex(EVENT_TYPE, 'an event type such as renewal.failed'))).check(z.minLength(1), z.maxLength(50))),
    description: z.optional(z.string().check(z.maxLength(500))),
  });

export const replayBody = z.strictObject({ since: z.iso.datetime({ offset: true }) });
export const rotateBody = z.strictObject({});
export const endpointIdPath = z.object({ id: z.string().check(z.regex(/^ep_[0-9a-f]{26}$/)) });
export const deliveriesQuery = z.strictObject({ limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50) });

export const eventEndpointRoute = async (event: APIGatewayProxyEventV2, deps: EndpointRouteDeps): Promise<APIGatewayProxyStructuredResultV2> => {
  const { json: jsonResponse, operatorName, fieldErrors: issuesToFieldErrors } = deps.http;
  const parseBody = <S extends z.ZodMiniType>(schema: S, e: APIGatewayProxyEventV2): z.output<S> => {
    const parsed = schema.safeParse(deps.http.body(e) ?? {});
    if (!parsed.success) throw unprocessable(issuesToFieldErrors(parsed.error.issues));
    return parsed.data;
  };
  const store = deps.store;
  const now = deps.now();
  const endpoint = async (): Promise<EndpointRecord> => {
    const id = event.pathParameters?.id ?? '';
    const found = ENDPOINT_ID.test(id) ? await store.get(id) : undefined;
    if (!found) throw notFound(`No event endpoint ${JSON.stringify(id)}.`);
    return found;
  };
  const queue = (): DeliveryQueue => {
    if (!deps.queue) throw serviceUnavailable('Replay is not configured here (no delivery queue).');
    return deps.queue;
  };

  switch (event.routeKey) {
    case 'POST /v1/event-endpoints': {
      const request = parseBody(createBody(!publicHostsOnly(deps.env)), event);
      const secret = generateSecret();
      const record: EndpointRecord = {
        id: `ep_${randomBytes(13).toString('hex')}`,
        url: request.url,
        ...(request.types ? { types: [...new Set(request.types)] } : {}),
        ...(request.description !== undefined ? { description: request.description } : {}),
        secrets: [{ secret, createdAt: now.toISOString() }],
        enabled: true,
        createdAt: now.toISOString(),
        createdBy: operatorName(event),
      };
      await store.create(record);
      deps.logger.info('event endpoint registered', { endpointId: record.id, by: record.createdBy });
      // The one answer with the whole secret (and rotate-secret's).
      return jsonResponse(201, { ...endpointView(record, now), secret });
    }
    case 'GET /v1/event-endpoints':
      return jsonResponse(200, { items: (await store.list()).map((e) => endpointView(e, now)) });
    case 'GET /v1/event-endpoints/{id}':
      return jsonResponse(200, endpointView(await endpoint(), now));
    case 'DELETE /v1/event-endpoints/{id}': {
      const found = await endpoint();
      await store.delete(found.id);
      deps.logger.info('event endpoint deleted', { endpointId: found.id, by: operatorName(event) });
      return { statusCode: 204, body: '' };
    }
    case 'POST /v1/event-endpoints/{id}/rotate-secret': {
      const found = await endpoint();
      parseBody(rotateBody, event);
      const secret = generateSecret();
      const secrets = rotateSecrets(found.secrets, secret, now);
      if (!(await store.setSecrets(found.id, found.secrets, secrets))) throw actionConflict('The secrets changed while rotating (another rotation, or the endpoint was deleted); nothing was done.');
      deps.logger.info('event endpoint secret rotated', { endpointId: found.id, by: operatorName(event) });
      return jsonResponse(200, { ...endpointView({ ...found, secrets }, now), secret });
    }
    case 'GET /v1/event-endpoints/{id}/deliveries': {
      const parsed = deliveriesQuery.safeParse(event.queryStringParameters ?? {});
      if (!parsed.success) throw badRequest('The query string is not valid.', issuesToFieldErrors(parsed.error.issues, ['query']));
      const found = await endpoint();
      const [items, deadLetters] = await Promise.all([store.attempts(found.id, parsed.data.limit), store.deadLetters(found.id, parsed.data.limit)]);
      return jsonResponse(200, { endpointId: found.id, items, deadLetters });
    }
    case 'POST /v1/event-endpoints/{id}/replay': {
      const found = await endpoint();
      const { since } = parseBody(replayBody, event);
      const from = new Date(since);
      if (from.getTime() > now.getTime()) throw unprocessable([{ path: 'since', message: 'is in the future' }]);
      if (!found.enabled) throw actionConflict('The endpoint is disabled; register it again to receive events.');
      const log = deps.log;
      let position = await log.positionAt(from);
      const entries: DeliveryEntry[] = [];
      let truncated = false;
      let last: string | null = null;
      for (;;) {
        const page = await log.read({ after: position, limit: 100 }, now);
        for (const { event: e } of page.items) {
          if (Date.parse(e.createdAt) < from.getTime() || !wantsType(found.types, e.type)) continue;
          entries.push({ message: { endpointId: found.id, event: e, attempt: 1, replay: true } });
          last = e.createdAt;
        }
        if (page.position === position || entries.length >= REPLAY_MAX_EVENTS) {
          truncated = page.position !== position;
          break;
        }
        position = page.position;
      }
      await queue().send(entries);
      deps.logger.info('events replayed to an endpoint', { endpointId: found.id, by: operatorName(event), queued: entries.length });
      // More than REPLAY_MAX_EVENTS: replay again from `lastCreatedAt` (receivers dedupe by webhook-id).
      return jsonResponse(202, { endpointId: found.id, since: from.toISOString(), queued: entries.length, truncated, lastCreatedAt: last });
    }
    default:
      throw notFound(`No operator route ${event.routeKey}.`);
  }
};

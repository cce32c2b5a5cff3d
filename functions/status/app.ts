/**
 * Status: the read routes, behind bearer tokens (read or operator). Returns the renewal resource
 * with every attempt, operator history and what it is waiting for; lists a subscription's
 * renewals newest first, and the operators' inbox across subscriptions oldest first, each with an
 * opaque cursor.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '../../shared/logger';
import { authFailurePauseMs, createSecretReader, requireEnv, type Env } from '../../shared/config';
import { badRequest, notFound } from '../../shared/http/problem';
import { jsonResponse, httpFunction } from '../../shared/http/middleware';
import { loadBearerCheck, type BearerCheck } from '../../shared/http/auth';
import { bearerAuth } from '../../shared/http/bearer';
import { InboxReader, InvalidCursorError, RenewalRecords } from '../../shared/adapters/renewal-store';
import { ProviderStates, type ProviderState } from '../../shared/adapters/provider-health';
import { issuesToFieldErrors } from '../../shared/domain/canonical';
import { toResource, type RenewalRecord } from '../../shared/domain/renewal';
import { INBOX_STATUSES } from '../../shared/domain/inbox';
import { PROVIDERS, ROUTES, routeKey, type Provider } from '../../shared/system';
import { parseListPath, parseListQuery } from './list-request';
import { EventLog } from '../../shared/adapters/event-log';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StatusDeps {
  readonly store: RenewalRecords;
  /** The event log, for `GET /v1/events`. */
  readonly events: EventLog;
  readonly inbox: InboxReader;
  readonly states: ProviderStates;
  readonly checkToken: BearerCheck;
  /** The API description (`openapi.json`) as text, read on the first request for it. */
  readonly openapiDocument: () => Promise<string>;
  readonly logger: Logger;
}

const NO_OPERATOR_ROUTES: ReadonlySet<string> = new Set();
/** Routes of this function that need no token (the system description's `public` routes). */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.functionId === 'status' && r.auth === 'public').map(routeKey));

export const createStatusHandler = (deps: StatusDeps) => {
  /** Resources with `waitingFor`, reading each provider's state once for the page. */
  const resources = async (records: readonly RenewalRecord[]) => {
    const now = new Date();
    const states = new Map<Provider, Promise<ProviderState>>();
    const waiting = records.filter((r) => r.status === 'queued' || r.status === 'retry_scheduled');
    for (const r of waiting) if (!states.has(r.provider)) states.set(r.provider, deps.states.state(r.provider, now));
    return Promise.all(
      records.map(async (r) => {
        const state = states.get(r.provider);
        return toResource(r, state ? await deps.states.waitingFor(r.provider, r.status, now, await state) : undefined);
      }),
    );
  };
  return httpFunction(deps.logger)
    .use(bearerAuth(deps.checkToken, NO_OPERATOR_ROUTES, PUBLIC_ROUTES))
    .handler(async function status(event) {
      switch (event.routeKey) {
        case 'GET /v1/renewals/{id}': {
          const id = event.pathParameters?.id ?? '';
          const record = /^rnw_[a-z2-7]{26}$/.test(id) ? await deps.store.get(id) : undefined;
          if (!record) throw notFound(`No renewal ${JSON.stringify(id)}.`);
          const [resource] = await resources([record]);
          return jsonResponse(200, resource);
        }
        case 'GET /v1/renewals': {
          const { inboxQuery } = await import('../../shared/http/schemas/renewals');
          const query = inboxQuery.safeParse(event.queryStringParameters ?? {});
          if (!query.success) throw badRequest('The query string is not valid.', issuesToFieldErrors(query.error.issues, ['query']));
          const { status, provider, limit, cursor } = query.data;
          try {
            const page = await deps.inbox.page(
              { statuses: status ? [status] : INBOX_STATUSES, providers: provider ? [provider] : PROVIDERS },
              { limit, ...(cursor ? { cursor } : {}) },
            );
            return jsonResponse(200, { items: await resources(page.items), nextCursor: page.nextCursor ?? null });
          } catch (error) {
            if (error instanceof InvalidCursorError) throw badRequest('The cursor is not valid.', [{ path: 'query.cursor', message: 'is not one this list returned for this status and provider' }]);
            throw error;
          }
        }
        case 'GET /v1/subscriptions/{provider}/{subscriptionRef}/renewals': {
          const path = parseListPath(event.pathParameters ?? {});
          if (!path.ok) throw badRequest('The path names an unknown provider.', path.errors);
          const query = parseListQuery(event.queryStringParameters ?? {});
          if (!query.ok) throw badRequest('The query string is not valid.', query.errors);
          try {
            const page = await deps.store.listBySubscription(path.value.provider, path.value.subscriptionRef, query.value);
            return jsonResponse(200, { items: page.items.map((r) => toResource(r)), nextCursor: page.nextCursor ?? null });
          } catch (error) {
            if (error instanceof InvalidCursorError) throw badRequest('The cursor is not valid.', [{ path: 'query.cursor', message: error.message }]);
            throw error;
          }
        }
        case 'GET /v1/events': {
          const { parseEventsQuery } = await import('./events-request');
          const query = parseEventsQuery(event.queryStringParameters ?? {});
          if (!query.ok) throw badRequest('The query string is not valid.', query.errors);
          const { after, type, limit } = query.value;
          const page = await deps.events.read({ after: Number(after ?? 0), limit, ...(type ? { type } : {}) }, new Date());
          // Always a cursor: the position after the last event looked at. Polling with it returns
          // only later events; an empty page means nothing new yet.
          return jsonResponse(200, { items: page.items.map((i) => i.event), nextCursor: String(page.position) });
        }
        case 'GET /openapi.json':
          return {
            statusCode: 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
            body: await deps.openapiDocument(),
          };
        default:
          throw notFound(`No read route ${event.routeKey}.`);
      }
    });
};

export const loadStatusDeps = async (env: Env, clients: { dynamo: DynamoDBClient; secrets?: SecretsManagerClient }, logger: Logger): Promise<StatusDeps> => {
  const tableName = requireEnv(env, 'TABLE_NAME');
  return {
    store: new RenewalRecords(clients.dynamo, tableName),
    events: new EventLog(clients.dynamo, tableName),
    inbox: new InboxReader(clients.dynamo, tableName),
    states: new ProviderStates(clients.dynamo, tableName, authFailurePauseMs(env)),
    checkToken: await loadBearerCheck(createSecretReader(env, clients)),
    openapiDocument: openapiDocumentReader(env),
    logger,
  };
};

/**
 * The API description, read once from the file beside the bundle (`files` in the function's
 * description: the CDK copies it into the asset; in Lambda it is `$LAMBDA_TASK_ROOT/openapi.json`)
 * or from `OPENAPI_DOCUMENT` (the local stack points it at the repository's). Never imported: 200
 * KiB of JSON parsed at every cold start for a route few call.
 */
export const openapiDocumentReader = (env: Env): (() => Promise<string>) => {
  const path = env.OPENAPI_DOCUMENT ?? join(env.LAMBDA_TASK_ROOT ?? process.cwd(), 'openapi.json');
  let text: Promise<string> | undefined;
  return () => {
    text ??= readFile(path, 'utf8').catch((error: unknown) => {
      text = undefined; // read again next time, not a failure cached for the container's life
      throw error;
    });
    return text;
  };
};

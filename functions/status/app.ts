/**
 * Status: the read routes, behind bearer read tokens. Returns the renewal resource with every
 * attempt; lists a subscription's renewals newest first with an opaque cursor.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '../../shared/logger';
import { createSecretReader, requireEnv, type Env } from '../../shared/config';
import { badRequest, notFound } from '../../shared/http/problem';
import { header, jsonResponse, httpFunction } from '../../shared/http/middleware';
import { loadReadTokenCheck, type ReadTokenCheck } from '../../shared/http/auth';
import { InvalidCursorError, RenewalRecords } from '../../shared/adapters/renewal-store';
import { toResource } from '../../shared/domain/renewal';
import { parseListPath, parseListQuery } from './list-request';

export interface StatusDeps {
  readonly store: RenewalRecords;
  readonly checkReadToken: ReadTokenCheck;
  readonly logger: Logger;
}


export const createStatusHandler = (deps: StatusDeps) =>
  httpFunction(deps.logger)
    .handler(async function status(event) {
      await deps.checkReadToken(header(event, 'authorization'));
      switch (event.routeKey) {
        case 'GET /v1/renewals/{id}': {
          const id = event.pathParameters?.id ?? '';
          const record = /^rnw_[a-z2-7]{26}$/.test(id) ? await deps.store.get(id) : undefined;
          if (!record) throw notFound(`No renewal ${JSON.stringify(id)}.`);
          return jsonResponse(200, toResource(record));
        }
        case 'GET /v1/subscriptions/{provider}/{subscriptionRef}/renewals': {
          const path = parseListPath(event.pathParameters ?? {});
          if (!path.ok) throw badRequest('The path names an unknown provider.', path.errors);
          const query = parseListQuery(event.queryStringParameters ?? {});
          if (!query.ok) throw badRequest('The query string is not valid.', query.errors);
          try {
            const page = await deps.store.listBySubscription(path.value.provider, path.value.subscriptionRef, query.value);
            return jsonResponse(200, { items: page.items.map(toResource), nextCursor: page.nextCursor ?? null });
          } catch (error) {
            if (error instanceof InvalidCursorError) throw badRequest('The cursor is not valid.', [{ path: 'query.cursor', message: error.message }]);
            throw error;
          }
        }
        default:
          throw notFound(`No read route ${event.routeKey}.`);
      }
    });

export const loadStatusDeps = async (env: Env, clients: { dynamo: DynamoDBClient; secrets?: SecretsManagerClient }, logger: Logger): Promise<StatusDeps> => ({
  store: new RenewalRecords(clients.dynamo, requireEnv(env, 'TABLE_NAME')),
  checkReadToken: await loadReadTokenCheck(createSecretReader(env, clients)),
  logger,
});

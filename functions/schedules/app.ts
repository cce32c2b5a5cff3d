/**
 * Schedules API: `PUT` (signed) sets a subscription's schedule, `GET` (read token) shows it with
 * its next run and last renewal, `DELETE` (signed) cancels it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Logger } from '../../shared/logger';
import { createSecretReader, requireEnv, type Env } from '../../shared/config';
import { badRequest, notFound, unprocessable } from '../../shared/http/problem';
import { header, jsonResponse, httpFunction } from '../../shared/http/middleware';
import { loadReadTokenCheck, loadWebhookVerifier, type ReadTokenCheck, type WebhookVerifier } from '../../shared/http/auth';
import { readSignedRequest } from '../../shared/http/signed-request';
import { ScheduleStore } from '../../shared/adapters/schedule-store';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { scheduleFromRequest, toScheduleResource } from '../../shared/domain/schedule';
import { PROVIDERS, type Provider } from '../../shared/system';

export interface SchedulesDeps {
  readonly schedules: ScheduleStore;
  readonly renewals: RenewalRecords;
  readonly verifyWebhook: WebhookVerifier;
  readonly checkReadToken: ReadTokenCheck;
  readonly logger: Logger;
  readonly now?: () => Date;
}

const ROUTE = '/v1/subscriptions/{provider}/{subscriptionRef}/schedule';

const target = (event: APIGatewayProxyEventV2): { provider: Provider; subscription: string } => {
  const provider = event.pathParameters?.provider ?? '';
  const subscription = event.pathParameters?.subscriptionRef ?? '';
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw badRequest('The path names an unknown provider.', [{ path: 'path.provider', message: `must be one of ${PROVIDERS.join(', ')}` }]);
  }
  if (!subscription || subscription.length > 320) throw badRequest('The path needs a subscription reference.', [{ path: 'path.subscriptionRef', message: 'is required' }]);
  return { provider: provider as Provider, subscription };
};

export const createSchedulesHandler = (deps: SchedulesDeps) =>
  httpFunction(deps.logger)
    .handler(async function schedules(event) {
      const now = deps.now?.() ?? new Date();
      switch (event.routeKey) {
        case `PUT ${ROUTE}`: {
          const { body } = await readSignedRequest(event, deps.verifyWebhook);
          const { provider, subscription } = target(event);
          const previous = await deps.schedules.get(provider, subscription);
          const result = await scheduleFromRequest(provider, subscription, body, now, previous);
          if (!result.ok) throw unprocessable(result.errors);
          await deps.schedules.put(result.value);
          deps.logger.info('schedule set', { provider, status: result.value.status, cadence: result.value.cadence });
          return jsonResponse(previous ? 200 : 201, toScheduleResource(result.value));
        }
        case `GET ${ROUTE}`: {
          await deps.checkReadToken(header(event, 'authorization'));
          const { provider, subscription } = target(event);
          const s = await deps.schedules.get(provider, subscription);
          if (!s) throw notFound(`No schedule for ${provider} subscription ${JSON.stringify(subscription)}.`);
          const last = s.lastRenewalId ? await deps.renewals.get(s.lastRenewalId) : undefined;
          return jsonResponse(200, toScheduleResource(s, last));
        }
        case `DELETE ${ROUTE}`: {
          await readSignedRequest(event, deps.verifyWebhook, { bodyRequired: false });
          const { provider, subscription } = target(event);
          if (!(await deps.schedules.cancel(provider, subscription, now))) throw notFound(`No schedule for ${provider} subscription ${JSON.stringify(subscription)}.`);
          deps.logger.info('schedule cancelled', { provider });
          return { statusCode: 204 };
        }
        default:
          throw notFound(`No schedule route ${event.routeKey}.`);
      }
    });

export const loadSchedulesDeps = async (env: Env, clients: { dynamo: DynamoDBClient; secrets?: SecretsManagerClient }, logger: Logger): Promise<SchedulesDeps> => {
  const tableName = requireEnv(env, 'TABLE_NAME');
  const secrets = createSecretReader(env, clients);
  return {
    schedules: new ScheduleStore(clients.dynamo, tableName),
    renewals: new RenewalRecords(clients.dynamo, tableName),
    verifyWebhook: await loadWebhookVerifier(secrets),
    checkReadToken: await loadReadTokenCheck(secrets),
    logger,
  };
};

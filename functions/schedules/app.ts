/**
 * Schedules API: `PUT` (signed) sets a subscription's schedule, `GET` (read token) shows it with
 * its next run and last renewal, `DELETE` (signed) cancels it.
 *
 * A signed PUT or DELETE does what it asked once: its webhook-id is bound to the method, the path
 * and the body (another path under the same webhook-id: 409), and the schedule keeps the
 * webhook-ids applied to it lately, so a replay is answered with the schedule as it is, not
 * applied again over a later change. Writes are conditional on the version read.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Logger } from '../../shared/logger';
import { createHash } from 'node:crypto';
import { createSecretReader, requireEnv, type Env } from '../../shared/config';
import { badRequest, notFound, serviceUnavailable, unprocessable } from '../../shared/http/problem';
import { header, jsonResponse, httpFunction } from '../../shared/http/middleware';
import { loadBearerCheck, loadWebhookVerifier, type ReadTokenCheck, type WebhookVerifier } from '../../shared/http/auth';
import { readSignedRequest } from '../../shared/http/signed-request';
import { ScheduleStore } from '../../shared/adapters/schedule-store';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { scheduleFromRequest, toScheduleResource, type ScheduleRecord } from '../../shared/domain/schedule';
import { BINDING_TTL_SECONDS, bindingDigest, WebhookBindings } from '../../shared/adapters/webhook-bindings';
import { PROVIDERS, type Provider } from '../../shared/system';

export interface SchedulesDeps {
  readonly schedules: ScheduleStore;
  readonly renewals: RenewalRecords;
  readonly verifyWebhook: WebhookVerifier;
  /** Each accepted webhook-id, bound to what it asked for. */
  readonly bindings: WebhookBindings;
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

/** Writes retried when the schedule changed between reading and writing it (a scheduler run, another PUT). */
const WRITE_TRIES = 5;

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
/** How a schedule remembers a webhook-id: a digest, not the id itself. */
const webhookMark = (webhookId: string): string => sha256(`webhook-id:${webhookId}`).slice(0, 32);

/** The webhook-ids applied to a schedule that could still be replayed, plus this one. */
const withWebhook = (previous: ScheduleRecord['webhooks'], mark: string, now: Date): Record<string, number> => {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const recent = Object.entries(previous ?? {}).filter(([, at]) => at >= nowSeconds - BINDING_TTL_SECONDS);
  return Object.fromEntries([...recent, [mark, nowSeconds]]);
};

const changedMeanwhile = () => serviceUnavailable('The schedule kept changing while this request was applied; retry it.');

export const createSchedulesHandler = (deps: SchedulesDeps) =>
  httpFunction(deps.logger)
    .handler(async function schedules(event) {
      const now = deps.now?.() ?? new Date();
      switch (event.routeKey) {
        case `PUT ${ROUTE}`: {
          const { body, webhookId, raw } = await readSignedRequest(event, deps.verifyWebhook);
          const { provider, subscription } = target(event);
          let previous = await deps.schedules.get(provider, subscription);
          let result = await scheduleFromRequest(provider, subscription, body, now, previous);
          if (!result.ok) throw unprocessable(result.errors);
          await deps.bindings.bind(webhookId, bindingDigest({ kind: 'schedule', method: 'PUT', provider, subscription, body: sha256(raw) }), now);
          const mark = webhookMark(webhookId);
          for (let tries = 1; ; tries++) {
            // Applied already (an upstream retry, or a replay after a later change): not again.
            if (previous?.webhooks?.[mark] !== undefined) return jsonResponse(200, toScheduleResource(previous));
            const next: ScheduleRecord = { ...result.value, webhooks: withWebhook(previous?.webhooks, mark, now) };
            if (await deps.schedules.put(next, previous ? { version: previous.version } : 'absent')) {
              deps.logger.info('schedule set', { provider, status: next.status, cadence: next.cadence });
              return jsonResponse(previous ? 200 : 201, toScheduleResource(next));
            }
            if (tries >= WRITE_TRIES) throw changedMeanwhile();
            previous = await deps.schedules.get(provider, subscription);
            result = await scheduleFromRequest(provider, subscription, body, now, previous);
            if (!result.ok) throw unprocessable(result.errors);
          }
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
          const { webhookId, raw } = await readSignedRequest(event, deps.verifyWebhook, { bodyRequired: false });
          const { provider, subscription } = target(event);
          await deps.bindings.bind(webhookId, bindingDigest({ kind: 'schedule', method: 'DELETE', provider, subscription, body: sha256(raw) }), now);
          const mark = webhookMark(webhookId);
          for (let tries = 1; ; tries++) {
            const previous = await deps.schedules.get(provider, subscription);
            if (!previous) throw notFound(`No schedule for ${provider} subscription ${JSON.stringify(subscription)}.`);
            // Applied already: a replay must not cancel a schedule set again since.
            if (previous.webhooks?.[mark] !== undefined) return { statusCode: 204 };
            if (await deps.schedules.cancel(provider, subscription, now, { version: previous.version, webhooks: withWebhook(previous.webhooks, mark, now) })) {
              deps.logger.info('schedule cancelled', { provider });
              return { statusCode: 204 };
            }
            if (tries >= WRITE_TRIES) throw changedMeanwhile();
          }
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
    bindings: new WebhookBindings(clients.dynamo, tableName),
    // Read tokens and operator tokens (which also read).
    checkReadToken: await loadBearerCheck(secrets).then((check) => async (authorization: string | undefined) => void (await check(authorization, 'read'))),
    logger,
  };
};

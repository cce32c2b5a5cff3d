/**
 * Intake: every signed write route. Checks run cheapest-first and before anything is stored:
 * size (413), media type (415), signature over the raw bytes (401), JSON (400), fields (422).
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../shared/logger';
import { requireEnv, resolveSecret, splitList, type Env } from '../../shared/config';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { SqsRenewalQueue } from '../../shared/adapters/queue';
import { system } from '../../shared/system';
import { badRequest, notFound, payloadTooLarge, unprocessable, unsupportedMediaType } from '../../shared/http/problem';
import { header, jsonResponse, problemDocuments, rawBody } from '../../shared/http/middleware';
import { createWebhookVerifier, type WebhookVerifier } from '../../shared/http/auth';
import { INTAKE_ROUTES, nativeRequest } from '../../shared/intake/routes';
import { acceptRenewal, type AcceptDeps } from '../../shared/intake/accept';

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface IntakeDeps extends AcceptDeps {
  readonly verifyWebhook: WebhookVerifier;
  readonly logger: Logger;
}

export const createIntakeHandler = (deps: IntakeDeps) =>
  middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(problemDocuments(deps.logger))
    .handler(async function intake(event) {
      const normalize = INTAKE_ROUTES[event.routeKey];
      if (!normalize) throw notFound(`No write route ${event.routeKey}.`);

      const raw = rawBody(event);
      if (raw.byteLength > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
      const contentType = header(event, 'content-type');
      if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) throw unsupportedMediaType(contentType);

      const webhookId = header(event, 'webhook-id');
      deps.verifyWebhook(raw, { id: webhookId, timestamp: header(event, 'webhook-timestamp'), signature: header(event, 'webhook-signature') });

      const idempotencyKey = header(event, 'idempotency-key') ?? webhookId ?? '';
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw badRequest('The idempotency key must be 1–255 visible ASCII characters.', [
          { path: 'headers.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
        ]);
      }

      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        throw badRequest(`The body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}.`);
      }
      const normalized = normalize(nativeRequest(event, body));
      if (!normalized.ok) throw unprocessable(normalized.errors);

      const accepted = await acceptRenewal(normalized.value, idempotencyKey, deps);
      return jsonResponse(accepted.httpStatus, accepted.renewal, { location: `/v1/renewals/${accepted.renewal.id}` });
    });

export interface AwsClients {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
}

/** Configuration → dependencies; the Lambda entry and the local stack both come through here. */
export const loadIntakeDeps = async (env: Env, clients: AwsClients, logger: Logger): Promise<IntakeDeps> => ({
  store: new RenewalStore(clients.dynamo, requireEnv(env, 'TABLE_NAME')),
  queues: Object.fromEntries(system.queues.map((q) => [q.provider, new SqsRenewalQueue(clients.sqs, requireEnv(env, q.urlEnv))])),
  verifyWebhook: createWebhookVerifier(splitList(await resolveSecret(env, 'RENEWALS_WEBHOOK_SECRETS'))),
  logger,
});

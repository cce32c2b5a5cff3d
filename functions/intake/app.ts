/**
 * Intake: every signed renewal route. Checks run cheapest-first and before anything is stored:
 * size (413), media type (415), signature over the raw bytes (401), UTF-8 and JSON (400) —
 * readSignedRequest — then the idempotency key (400), the fields (422), and the webhook-id's
 * binding to what it asks for (409: a replay with an unsigned part changed). A request without an
 * `Idempotency-Key` and without secret params writes no binding: its renewal is it (folded).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '../../shared/logger';
import { createSecretReader, requireEnv, type Env } from '../../shared/config';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { providerQueues } from '../../shared/adapters/queue';
import { badRequest, notFound, unprocessable, webhookIdReused } from '../../shared/http/problem';
import { header, jsonResponse, httpFunction } from '../../shared/http/middleware';
import { readSignedRequest } from '../../shared/http/signed-request';
import { loadWebhookVerifier, type WebhookVerifier } from '../../shared/http/auth';
import { INTAKE_ROUTES, nativeRequest } from '../../shared/intake/routes';
import { acceptRenewal, type AcceptDeps, type BeforeSend } from '../../shared/intake/accept';
import { hasSecretParams } from '../../shared/domain/canonical';
import { bindingDigest, WebhookBindings } from '../../shared/adapters/webhook-bindings';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface IntakeDeps extends AcceptDeps {
  readonly verifyWebhook: WebhookVerifier;
  /** Each accepted webhook-id, bound to what it asked for. */
  readonly bindings: WebhookBindings;
  readonly logger: Logger;
}

export const createIntakeHandler = (deps: IntakeDeps) =>
  httpFunction(deps.logger)
    .handler(async function intake(event) {
      const normalize = INTAKE_ROUTES[event.routeKey];
      if (!normalize) throw notFound(`No write route ${event.routeKey}.`);

      const { body, webhookId } = await readSignedRequest(event, deps.verifyWebhook);
      const idempotencyKey = header(event, 'idempotency-key') ?? webhookId;
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw badRequest('The idempotency key must be 1–255 visible ASCII characters.', [
          { path: 'headers.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
        ]);
      }
      const normalized = await normalize(nativeRequest(event, body));
      if (!normalized.ok) throw unprocessable(normalized.errors);
      // The canonical request holds everything the path, query and headers contributed (a
      // Pelcro customer's JWT included); with the key, it is what this webhook-id may ever do.
      const now = deps.now?.() ?? new Date();
      const digest = bindingDigest({ kind: 'renewal', idempotencyKey, request: normalized.value });
      const keyedOnWebhookId = idempotencyKey === webhookId;
      let beforeSend: BeforeSend | undefined;
      if (keyedOnWebhookId && !hasSecretParams(normalized.value)) {
        // Folded (webhook-bindings.ts): the renewal, keyed on the webhook-id and hashing all the
        // request asks for, is the binding. A binding made by a replay with a key added or sent to
        // a schedule route is looked for before the renewal is created and again before it is sent.
        const bound = await deps.bindings.boundTo(webhookId, now);
        if (bound !== undefined && bound !== digest) throw webhookIdReused();
        if (bound === undefined) {
          beforeSend = async (created, id) => {
            const after = await deps.bindings.boundTo(webhookId, now);
            if (after === undefined || after === digest) return;
            if (created) await deps.store.withdraw(id, now, 'withdrawn: a replay of its webhook-id with an unsigned part changed arrived at the same time');
            throw webhookIdReused();
          };
        }
      } else {
        await deps.bindings.bind(webhookId, digest, now, keyedOnWebhookId);
      }

      const accepted = await acceptRenewal(normalized.value, idempotencyKey, deps, beforeSend);
      return jsonResponse(accepted.httpStatus, accepted.renewal, { location: `/v1/renewals/${accepted.renewal.id}` });
    });

export interface AwsClients {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Secrets Manager (the default client when absent); used only for `*_SECRET_ARN` secrets. */
  readonly secrets?: SecretsManagerClient;
}

/** Configuration → dependencies; the Lambda entry and the local stack both come through here. */
export const loadIntakeDeps = async (env: Env, clients: AwsClients, logger: Logger): Promise<IntakeDeps> => ({
  store: new RenewalRecords(clients.dynamo, requireEnv(env, 'TABLE_NAME')),
  bindings: new WebhookBindings(clients.dynamo, requireEnv(env, 'TABLE_NAME')),
  queues: providerQueues(env, clients.sqs),
  verifyWebhook: await loadWebhookVerifier(createSecretReader(env, clients)),
  logger,
});

/**
 * Operator: the routes that change renewals and providers on a person's behalf, and show
 * providers' health and dead letters (README "Operating it"; docs/architecture.md#operator-actions).
 * Behind bearer tokens: operator tokens (`RENEWALS_OPERATOR_TOKENS`) for actions, read tokens too
 * for `GET /v1/providers`. The only function allowed to move messages between queues.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from '../../shared/zod';
import type { Logger } from '../../shared/logger';
import { authFailurePauseMs, createSecretReader, requireEnv, type Env } from '../../shared/config';
import { actionConflict, badRequest, HttpError, notFound, unprocessable } from '../../shared/http/problem';
import { httpFunction, jsonResponse } from '../../shared/http/middleware';
import { loadBearerCheck, type BearerCheck } from '../../shared/http/auth';
import { bearerAuth, operatorName } from '../../shared/http/bearer';
import { jsonBody, parsedBody } from '../../shared/http/json-body';
import { issuesToFieldErrors } from '../../shared/domain/canonical';
import { toResource, type RenewalRecord } from '../../shared/domain/renewal';
import { InboxReader, InvalidCursorError } from '../../shared/adapters/renewal-store';
import { OperatorStore } from '../../shared/adapters/operator-store';
import { PauseChangedError, ProviderStates, recordRedrive } from '../../shared/adapters/provider-health';
import { providerQueues, type RenewalQueue } from '../../shared/adapters/queue';
import { PROVIDER_CONFIG, PROVIDERS, declarationOf, routeKey, ROUTES, type Provider } from '../../shared/system';
import type * as RenewalSchemas from '../../shared/http/schemas/renewals';
import type * as ProviderSchemas from '../../shared/http/schemas/providers';
import { cancelRenewal, requeueHeld, resolveRenewal, retryRenewal, type ActionDeps } from '../../shared/operator/actions';
import { bulkRetry } from '../../shared/operator/bulk';
import { listMoveTasks, peekDeadLetters, providerQueueRefs, queueDepth, startRedrive, type ProviderQueueRefs } from '../../shared/operator/queues';
import { loadCall } from '../../shared/providers/load-call';
import { loadCanonical } from '../../shared/providers/load-canonical';
import { forecastProvider } from '../../shared/operator/forecast';
import { EndpointStore } from '../../shared/adapters/event-endpoints';
import { EventLog } from '../../shared/adapters/event-log';
import { DELIVERY_QUEUE_URL_ENV, SqsDeliveryQueue, type DeliveryQueue } from '../../shared/delivery/queue';

export interface OperatorDeps {
  readonly store: OperatorStore;
  readonly inbox: InboxReader;
  readonly states: ProviderStates;
  readonly queues: Partial<Record<Provider, RenewalQueue>>;
  readonly queueRefs: Record<Provider, ProviderQueueRefs>;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly checkToken: BearerCheck;
  /** Each provider's rate limit as its consumers apply it (`PELCRO_RATE_LIMIT`…), or null. */
  readonly rateLimits: Readonly<Record<Provider, string | null>>;
  readonly logger: Logger;
  /** The event-endpoint routes' adapters: endpoints, the event log (replay), the delivery queue. */
  readonly endpoints: { readonly store: EndpointStore; readonly log: EventLog; readonly queue: DeliveryQueue | undefined };
  /** Configuration of the event-endpoint routes (EVENT_ENDPOINTS_ALLOW_HTTP). */
  readonly env?: Env;
  readonly now?: () => Date;
}

/** The routes of this function that need an operator token (from the system description). */
const OPERATOR_ROUTES: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.functionId === 'operator' && r.auth === 'operator-token').map(routeKey));

const body = <S extends z.ZodMiniType>(schema: S, event: APIGatewayProxyEventV2): z.infer<S> => {
  const parsed = schema.safeParse(parsedBody(event));
  if (!parsed.success) throw unprocessable(issuesToFieldErrors(parsed.error.issues));
  return parsed.data;
};
const query = <S extends z.ZodMiniType>(schema: S, event: APIGatewayProxyEventV2): z.infer<S> => {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw badRequest('The query string is not valid.', issuesToFieldErrors(parsed.error.issues, ['query']));
  return parsed.data;
};
/**
 * The request schemas, loaded with the first request rather than with the module: a cold start
 * that serves `GET /v1/providers` never builds them (README "Lambda bundles and cold-start module load").
 */
type Schemas = typeof RenewalSchemas & typeof ProviderSchemas;
let schemasLoaded: Promise<Schemas> | undefined;
const loadSchemas = (): Promise<Schemas> =>
  (schemasLoaded ??= Promise.all([import('../../shared/http/schemas/renewals'), import('../../shared/http/schemas/providers')]).then(
    ([renewals, providers]) => ({ ...renewals, ...providers }),
    (error: unknown) => {
      schemasLoaded = undefined;
      throw error;
    },
  ));

const renewalId = ({ renewalIdPath }: Schemas, event: APIGatewayProxyEventV2): string => {
  const parsed = renewalIdPath.safeParse(event.pathParameters ?? {});
  if (!parsed.success) throw notFound(`No renewal ${JSON.stringify(event.pathParameters?.id ?? '')}.`);
  return parsed.data.id;
};
const provider = ({ providerPath }: Schemas, event: APIGatewayProxyEventV2): Provider => {
  const parsed = providerPath.safeParse(event.pathParameters ?? {});
  if (!parsed.success) throw badRequest('The path names an unknown provider.', issuesToFieldErrors(parsed.error.issues, ['path']));
  return parsed.data.provider;
};

/** SQS answers that mean the endpoint does not offer an operation (the local endpoint before it learns one). */
const unsupported = (error: unknown): boolean => error instanceof Error && /Unsupported|InvalidAction|UnknownOperation|NotImplemented/i.test(`${error.name} ${error.message}`);

/** Routes whose body may be left out. */
const BODY_OPTIONAL: ReadonlySet<string> = new Set(['POST /v1/event-endpoints/{id}/rotate-secret']);

export const createOperatorHandler = (deps: OperatorDeps) => {
  const clock = () => deps.now?.() ?? new Date();
  const actionDeps: ActionDeps = {
    store: deps.store,
    queues: deps.queues,
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
    periodOf: async (message) => (await loadCall(message.provider)).periodOf?.(message),
    cannotRequeue: async (record: RenewalRecord) => {
      const { checkParams } = await import('../../shared/domain/canonical-check');
      const checked = checkParams({ provider: record.provider, operation: record.operation, subscription: record.subscription, params: { ...record.params } }, await loadCanonical(record.provider));
      return checked.ok
        ? undefined
        : `its request needs ${checked.errors.map((e) => e.path).join(', ')}, which the gateway does not keep (a customer's token travels only in the queue message); ask the upstream to send the renewal again.`;
    },
  };
  const resource = async (record: RenewalRecord) => toResource(record, await deps.states.waitingFor(record.provider, record.status, clock()));

  const providerView = async (p: Provider) => {
    const now = clock();
    const refs = deps.queueRefs[p];
    const [state, queue, dlq, oldest] = await Promise.all([
      deps.states.state(p, now),
      queueDepth(deps.sqs, refs.url),
      queueDepth(deps.sqs, refs.dlqUrl),
      deps.inbox.page({ statuses: ['queued'], providers: [p] }, { limit: 1 }),
    ]);
    const waiting = oldest.items[0];
    // The backlog against the rate limit and the earliest deadline waiting (issue 12).
    const forecast = await forecastProvider(p, queue.visible + queue.inFlight + queue.delayed, deps.rateLimits[p], deps.inbox, now);
    return {
      provider: p,
      name: declarationOf(p).name,
      pause: state.pause,
      queue,
      deadLetters: dlq.visible + dlq.inFlight + dlq.delayed,
      // SQS publishes the age of the oldest message only as a CloudWatch metric
      // (ApproximateAgeOfOldestMessage, alarmed on at 15 minutes); the oldest renewal still
      // waiting for its first attempt is read from the inbox instead.
      oldestMessageAgeSeconds: null,
      oldestQueuedRenewal: waiting ? { id: waiting.id, createdAt: waiting.createdAt, ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(waiting.createdAt)) / 1000)) } : null,
      rateLimit: deps.rateLimits[p],
      rateLimitedUntil: state.rateLimitedUntil,
      lastSuccessAt: state.lastSuccessAt,
      lastFailureAt: state.lastFailureAt,
      lastFailure: state.lastFailure,
      resumes: state.resumes,
      forecast: { backlog: forecast.backlog, perSecond: forecast.perSecond, drainsBy: forecast.drainsBy, earliestDeadline: forecast.earliestDeadline, late: forecast.late },
    };
  };

  return httpFunction(deps.logger)
    .use(bearerAuth(deps.checkToken, OPERATOR_ROUTES))
    .use(jsonBody(['POST'], undefined, BODY_OPTIONAL))
    .handler(async function operator(event) {
      const s = await loadSchemas();
      switch (event.routeKey) {
        case 'POST /v1/renewals/{id}/retry': {
          const id = renewalId(s, event);
          const { record } = await retryRenewal(id, body(s.retryBody, event), operatorName(event), actionDeps);
          return jsonResponse(200, await resource(record));
        }
        case 'POST /v1/renewals/{id}/resolve': {
          const id = renewalId(s, event);
          const { record } = await resolveRenewal(id, body(s.resolveBody, event), operatorName(event), actionDeps);
          return jsonResponse(200, await resource(record));
        }
        case 'POST /v1/renewals/{id}/cancel': {
          const id = renewalId(s, event);
          const { record } = await cancelRenewal(id, body(s.cancelBody, event), operatorName(event), actionDeps);
          return jsonResponse(200, await resource(record));
        }
        case 'POST /v1/renewals/retry': {
          const request = body(s.bulkRetryBody, event);
          try {
            return jsonResponse(200, await bulkRetry(request, operatorName(event), { ...actionDeps, inbox: deps.inbox }));
          } catch (error) {
            if (error instanceof InvalidCursorError) throw unprocessable([{ path: 'cursor', message: 'is not one this route returned for this filter' }]);
            throw error;
          }
        }
        case 'GET /v1/providers': {
          query(s.noQuery, event);
          return jsonResponse(200, { items: await Promise.all(PROVIDERS.map(providerView)) });
        }
        case 'POST /v1/providers/{provider}/resume': {
          const p = provider(s, event);
          const request = body(s.resumeBody, event);
          const by = operatorName(event);
          try {
            if (!(await deps.states.resume(p, clock(), { by, note: request.note }))) throw actionConflict(`${declarationOf(p).name} is not paused.`);
          } catch (error) {
            if (error instanceof PauseChangedError) throw actionConflict(`${declarationOf(p).name}'s pause changed while it was being lifted (a consumer paused it again); nothing was done. Look again.`);
            throw error;
          }
          // The renewals the pause held go ahead now, not when their delayed copies return.
          const requeued = await requeueHeld(p, { ...actionDeps, inbox: deps.inbox });
          deps.logger.info('provider resumed by an operator', { provider: p, by, requeued: requeued.count });
          return jsonResponse(200, { ...(await providerView(p)), requeued });
        }
        case 'GET /v1/providers/{provider}/dead-letters': {
          const p = provider(s, event);
          const { limit } = query(s.deadLettersQuery, event);
          const refs = deps.queueRefs[p];
          const [depth, messages, moveTasks] = await Promise.all([
            queueDepth(deps.sqs, refs.dlqUrl),
            peekDeadLetters(deps.sqs, refs.dlqUrl, limit),
            listMoveTasks(deps.sqs, refs.dlqArn).catch((error: unknown) => {
              if (unsupported(error)) return null;
              throw error;
            }),
          ]);
          return jsonResponse(200, { provider: p, count: depth.visible + depth.inFlight + depth.delayed, items: messages, moveTasks });
        }
        case 'POST /v1/providers/{provider}/dead-letters/redrive': {
          const p = provider(s, event);
          const request = body(s.redriveBody, event);
          const by = operatorName(event);
          const refs = deps.queueRefs[p];
          let taskHandle: string;
          try {
            taskHandle = await startRedrive(deps.sqs, refs.dlqArn, refs.arn, request.maxMessagesPerSecond);
          } catch (error) {
            if (unsupported(error)) throw new HttpError(501, 'not-supported', 'Not supported', 'This SQS endpoint does not support StartMessageMoveTask.');
            // e.g. a move task already running for this queue, or an empty DLQ in some regions.
            if (error instanceof Error && /AlreadyExists|InvalidParameter|ResourceNotFound|Unsupported/i.test(error.name)) throw actionConflict(`The redrive could not start: ${error.message}`);
            throw error;
          }
          await recordRedrive(deps.dynamo, deps.tableName, p, { by, at: clock().toISOString(), note: request.note, taskHandle }).catch((error: unknown) =>
            deps.logger.warn('could not record the redrive', { provider: p, error: error instanceof Error ? error.name : 'unknown' }),
          );
          deps.logger.info('dead letters redriven by an operator', { provider: p, by });
          return jsonResponse(202, { provider: p, taskHandle, sourceArn: refs.dlqArn, destinationArn: refs.arn });
        }
        default: {
          if (event.routeKey.includes(' /v1/event-endpoints')) {
            // Loaded on the first such call: the other routes' cold start does not parse it.
            const { eventEndpointRoute } = await import('./endpoints');
            return eventEndpointRoute(event, {
              ...deps.endpoints,
              logger: deps.logger,
              env: deps.env ?? {},
              now: clock,
              http: { json: jsonResponse, body: parsedBody, operatorName, fieldErrors: issuesToFieldErrors },
            });
          }
          throw notFound(`No operator route ${event.routeKey}.`);
        }
      }
    });
};

export const loadOperatorDeps = async (
  env: Env,
  clients: { dynamo: DynamoDBClient; sqs: SQSClient; secrets?: SecretsManagerClient },
  logger: Logger,
): Promise<OperatorDeps> => {
  const tableName = requireEnv(env, 'TABLE_NAME');
  return {
    store: new OperatorStore(clients.dynamo, tableName),
    inbox: new InboxReader(clients.dynamo, tableName),
    states: new ProviderStates(clients.dynamo, tableName, authFailurePauseMs(env)),
    queues: providerQueues(env, clients.sqs),
    queueRefs: providerQueueRefs(env),
    sqs: clients.sqs,
    dynamo: clients.dynamo,
    tableName,
    checkToken: await loadBearerCheck(createSecretReader(env, clients)),
    rateLimits: Object.fromEntries(
      PROVIDERS.map((p) => {
        const names = PROVIDER_CONFIG[p];
        const value = env[names.rateLimitEnv]?.trim() || names.defaultRateLimit;
        return [p, value && value !== 'off' ? value : null];
      }),
    ) as Record<Provider, string | null>,
    endpoints: {
      store: new EndpointStore(clients.dynamo, tableName),
      log: new EventLog(clients.dynamo, tableName),
      queue: env[DELIVERY_QUEUE_URL_ENV]?.trim() ? new SqsDeliveryQueue(clients.sqs, env[DELIVERY_QUEUE_URL_ENV].trim()) : undefined,
    },
    logger,
    env,
  };
};

import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnRoute,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type HttpRoute,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeKey, type RouteDescription } from '../../shared/system';
import { API_THROTTLE_DEFAULTS, LOG_RETENTION } from '../settings';

export interface GatewayRoute {
  /** The route as `shared/system.ts` describes it (method, path, how callers authenticate). */
  readonly description: RouteDescription;
  /** The function that serves it. */
  readonly handler: IFunction;
}

export interface GatewayThrottle {
  /** Steady-state requests per second across the stage. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the steady rate. */
  readonly burstLimit: number;
}

export interface GatewayHttpApiProps {
  /** Every route of the API; each becomes one HTTP API route with a Lambda proxy integration. */
  readonly routes: readonly GatewayRoute[];
  /**
   * Default route throttling of the stage.
   * @default API_THROTTLE_DEFAULTS (1000 rps, burst 5000)
   */
  readonly throttle?: GatewayThrottle;
  /** @default one month (`LOG_RETENTION`) */
  readonly accessLogRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
}

/**
 * Why a route has no API Gateway authorizer, by the way its callers authenticate. Both checks
 * happen in the function: an authorizer could not verify a webhook signature, because it never
 * sees the request body the signature covers.
 */
const AUTH_REASONS: Record<RouteDescription['auth'], string> = {
  'webhook-signature':
    'Write route authenticated by a Standard Webhooks signature (HMAC-SHA256 over id, timestamp and the raw body), verified in constant time by the intake function before anything is parsed or queued; an API Gateway authorizer never sees the body, so it cannot do this check.',
  'read-token':
    'Read route authenticated by a bearer read token (Authorization header) that the status function checks against the tokens in Secrets Manager before reading anything; the function answers 401 problem documents in the same shape as the write routes.',
  public:
    'The API description (GET /openapi.json): the OpenAPI document of the routes, generated from the checked-in openapi.json, which holds no secret, no customer data and nothing that is not in the public repository; it only reads a file bundled with the status function, so no caller can change anything through it.',
  'operator-token':
    'Operator route authenticated by a bearer operator token (Authorization header) that the operator function checks in constant time against RENEWALS_OPERATOR_TOKENS in Secrets Manager before reading the body or acting (401 without a valid token, 403 for a read token), and whose name it records in the audit history; the same problem documents as every other route.',
};

/**
 * Access log line: one JSON object per request (queryable in CloudWatch Logs Insights). No
 * headers or bodies: they carry signatures, bearer tokens and customer JWTs; and the route
 * template instead of the path, whose PressOne subscription reference is a customer's email
 * (docs/architecture.md#secrets-are-never-logged).
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  userAgent: '$context.identity.userAgent',
} as const;

/**
 * The public HTTP API (API Gateway HTTP API, payload format 2.0): one route per described route,
 * each proxied to its function, served from the `$default` stage with JSON access logs and
 * default route throttling. Request authentication is done in the functions (see AUTH_REASONS).
 */
export class GatewayHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogGroup: LogGroup;
  /** The routes created, by route key (`POST /v1/renewals`). */
  public readonly routes: ReadonlyMap<string, HttpRoute>;
  /** Base URL of the API, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: GatewayHttpApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? API_THROTTLE_DEFAULTS;
    validate(props.routes, throttle);

    this.api = new HttpApi(this, 'Api', {
      // Named after the stack (one per stage) so consoles tell stages apart; API names need not
      // be unique, so this never blocks a second stage.
      apiName: Stack.of(this).stackName,
      description: 'Renewal gateway: signed renewal requests in, renewal status out',
      // The stage is created below with access logs and throttling, which the default one lacks.
      createDefaultStage: false,
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? LOG_RETENTION,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.stage.url;

    // One integration per function, shared by all of that function's routes.
    const integrations = new Map<IFunction, HttpLambdaIntegration>();
    const routes = new Map<string, HttpRoute>();
    for (const { description, handler } of props.routes) {
      let integration = integrations.get(handler);
      if (!integration) {
        integration = new HttpLambdaIntegration(`Integration${integrations.size}`, handler, {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(handler, integration);
        Validations.of(handler).acknowledge({
          id: 'Serverless-LambdaDLQ',
          reason:
            'Invoked synchronously by API Gateway, never asynchronously: a failure is returned to the caller as an error response, so a Lambda dead-letter queue would never receive anything.',
        });
      }
      const [route] = this.api.addRoutes({
        path: description.path,
        methods: [HttpMethod[description.method]],
        integration,
      });
      if (!route) throw new Error(`GatewayHttpApi: no route created for ${routeKey(description)}`);
      const cfnRoute = route.node.defaultChild;
      if (!(cfnRoute instanceof CfnRoute)) throw new Error(`GatewayHttpApi: unexpected route resource for ${routeKey(description)}`);
      Validations.of(cfnRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: AUTH_REASONS[description.auth] });
      routes.set(routeKey(description), route);
    }
    this.routes = routes;
  }
}

function validate(routes: readonly GatewayRoute[], throttle: GatewayThrottle): void {
  if (routes.length === 0) throw new Error('GatewayHttpApi: at least one route is required');
  const keys = new Set<string>();
  for (const { description } of routes) {
    const key = routeKey(description);
    if (!description.path.startsWith('/')) throw new Error(`GatewayHttpApi: path must start with "/": ${key}`);
    if (keys.has(key)) throw new Error(`GatewayHttpApi: route ${key} is described twice`);
    keys.add(key);
  }
  if (!(throttle.rateLimit > 0) || !Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 1) {
    throw new Error(
      `GatewayHttpApi: throttle needs rateLimit > 0 and an integer burstLimit >= 1, got ${throttle.rateLimit}/${throttle.burstLimit}`,
    );
  }
}

import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { consumerBundleDefine, type FunctionDescription } from '../../shared/system';
import { repoRoot } from '../paths';
import { DEFAULT_TRACING, LOG_RETENTION, TRACING_MODES, type SecretName, type TableAccess, type TracingMode } from '../settings';
import type { ProviderQueue } from './provider-queue';
import type { RenewalTable } from './renewal-table';

/** Lambda limits the construct checks at synth time rather than at deploy time. */
const MAX_TIMEOUT_SECONDS = 900;
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10_240;

/** Service name shared by every function, so Powertools logs and traces group as one system. */
export const POWERTOOLS_SERVICE_NAME = 'renewal-gateway';

/**
 * esbuild emits an ES module (middy and Powertools ship ESM; top-level await works), but some
 * bundled CommonJS dependencies still call `require` for Node built-ins. ESM has no `require`,
 * so the banner defines one. The import is aliased so it cannot clash with bundled names.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __gatewayCreateRequire } from 'node:module'; const require = __gatewayCreateRequire(import.meta.url);";

export interface GatewayFunctionProps {
  /** The function as `shared/system.ts` describes it: entry, timeout, memory. */
  readonly description: FunctionDescription;
  /**
   * Retention of the function's log group.
   * @default one month (`LOG_RETENTION` in infra/settings.ts)
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the function leaves the stack.
   * @default RemovalPolicy.RETAIN (logs are evidence of what happened to a renewal)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Extra plain (non-secret) environment variables, e.g. a provider base URL. */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * One Lambda function of the gateway, built the same way for every handler: Node.js 22 on arm64,
 * bundled by esbuild into one tree-shaken ES module that includes the AWS SDK v3 clients it uses
 * (not the runtime's copy: pinned versions, smaller cold start), source maps, X-Ray tracing when
 * the `tracing` context says so (default off) and an explicit log group with retention.
 *
 * Access is added through `useTable`, `sendTo` and `readSecret`, which set the environment
 * variable and the IAM grant together, so a function never has a name without the permission to
 * use it, or the reverse. The role is the construct's own, with log writing granted on this
 * function's log group only (instead of the account-wide AWSLambdaBasicExecutionRole).
 */
export class GatewayFunction extends Construct {
  public readonly fn: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  public readonly description: FunctionDescription;
  private readonly secretEnvs = new Set<string>();

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const { description } = props;
    validate(description);
    this.description = description;

    const tracing = tracingOf(this.node.tryGetContext('tracing'));
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? LOG_RETENTION,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the renewal gateway function ${description.id}`,
    });
    // CreateLogStream + PutLogEvents on this log group only.
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(repoRoot, description.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(description.timeoutSeconds),
      memorySize: description.memoryMb,
      role: this.role,
      logGroup: this.logGroup,
      tracing: tracing === 'active' ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: {
        // Stack traces point at the TypeScript source, through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        // Prefer the ES module builds (`module` field) so esbuild can tree-shake the AWS SDK v3.
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Mappings are enough for readable stack traces; embedding every source would double
        // the asset and the map Node parses at cold start.
        sourcesContent: false,
        // Bundle the AWS SDK instead of relying on the runtime's copy: the versions we test are
        // the versions we run, and only the commands used are loaded.
        externalModules: [],
        // A consumer's provider, compiled in: its bundle holds that provider's code alone
        // (CONSUMER_PROVIDER in shared/system.ts).
        define: consumerBundleDefine(description),
        logLevel: LogLevel.WARNING,
        // Files the function reads at run time beside its bundle (`files`: the status function's
        // openapi.json), copied, not bundled, so no cold start parses them.
        ...(description.files?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => (description.files ?? []).map((f) => `cp "${inputDir}/${f}" "${outputDir}/${f}"`),
              },
            }
          : {}),
      },
    });

    const runtimeReason =
      'The architecture (docs/architecture.md#functions) fixes the runtime at nodejs22.x, the Node version the bundle targets (esbuild target node22) and the project is tested against; moving to a newer runtime is a deliberate, tested decision, not a side effect of a CDK upgrade that lists a newer one.';
    Validations.of(this.fn).acknowledge(
      { id: 'AwsSolutions-L1', reason: runtimeReason },
      { id: 'Serverless-LambdaLatestVersion', reason: runtimeReason },
    );
    if (tracing === 'active') {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions, so CDK grants them on "*"; every other statement of this role names its resource.',
      });
    } else {
      Validations.of(this.fn).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason:
          'Tracing is a documented choice (-c tracing=active turns it on): at $5 per million traces it more than doubled the cost of a renewal at low volume (README#cost); structured logs carry the request and renewal ids instead.',
      });
    }
  }

  /** Gives the function the table: env `TABLE_NAME` plus read or read/write data access. */
  useTable(table: RenewalTable, access: TableAccess): void {
    this.fn.addEnvironment('TABLE_NAME', table.table.tableName);
    if (access === 'readWrite') table.table.grantReadWriteData(this.fn);
    else table.table.grantReadData(this.fn);
    if (table.description.indexes.length > 0) {
      // CDK grants `<table ARN>/index/*` as soon as the table has an index; cdk-nag names the
      // finding after the table's logical id.
      const cfnTable = table.table.node.defaultChild;
      if (!(cfnTable instanceof CfnTable)) throw new Error('GatewayFunction.useTable: table has no CfnTable');
      const logicalId = Stack.of(table).getLogicalId(cfnTable);
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
        reason:
          'The table grant covers its global secondary indexes as <table ARN>/index/*; the wildcard spans only the indexes of this one table, which the function queries (history by subscription, schedules due by shard).',
      });
    }
  }

  /** Lets the function send to a provider queue: env `<queue.urlEnv>` plus send permission. */
  sendTo(queue: ProviderQueue): void {
    this.fn.addEnvironment(queue.description.urlEnv, queue.queue.queueUrl);
    queue.queue.grantSendMessages(this.fn);
  }

  /**
   * Lets the function look at and redrive a provider's dead letters: env `<dlqUrlEnv>`,
   * `<dlqArnEnv>`; queue depths of both queues (GetQueueAttributes); on the DLQ, receiving and
   * making messages visible again (looking without consuming), and message move tasks, which also
   * need ReceiveMessage, DeleteMessage and GetQueueAttributes on the source (SendMessage on the
   * work queue comes with `sendTo`). No other function may move messages.
   */
  operateDeadLetters(queue: ProviderQueue): void {
    this.fn.addEnvironment(queue.description.dlqUrlEnv, queue.deadLetterQueue.queueUrl);
    this.fn.addEnvironment(queue.description.dlqArnEnv, queue.deadLetterQueue.queueArn);
    // The move task's destination: the provider's work queue (SendMessage on it comes with sendTo).
    this.fn.addEnvironment(queue.description.arnEnv, queue.queue.queueArn);
    queue.queue.grant(this.fn, 'sqs:GetQueueAttributes');
    queue.deadLetterQueue.grant(
      this.fn,
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:StartMessageMoveTask',
      'sqs:ListMessageMoveTasks',
      'sqs:CancelMessageMoveTask',
    );
  }

  /**
   * Lets the function read a secret configuration value: env `<NAME>_SECRET_ARN` plus
   * `secretsmanager:GetSecretValue` on that secret only. The value itself stays out of the
   * environment and the template; the handler fetches it at cold start.
   */
  readSecret(name: SecretName, secret: ISecret): void {
    const env = `${name}_SECRET_ARN`;
    if (this.secretEnvs.has(env)) throw new Error(`GatewayFunction ${this.description.id}: secret ${name} added twice`);
    this.secretEnvs.add(env);
    this.fn.addEnvironment(env, secret.secretArn);
    secret.grantRead(this.fn);
  }
}

/** The `tracing` context value (`-c tracing=active|off`), default off. */
export function tracingOf(value: unknown): TracingMode {
  if (value === undefined || value === null) return DEFAULT_TRACING;
  const mode = String(value);
  if (!(TRACING_MODES as readonly string[]).includes(mode)) throw new Error(`tracing must be one of ${TRACING_MODES.join(', ')}, got ${mode}`);
  return mode as TracingMode;
}

function validate(d: FunctionDescription): void {
  const where = `GatewayFunction ${d.id}`;
  if (!Number.isInteger(d.timeoutSeconds) || d.timeoutSeconds < 1 || d.timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new Error(`${where}: timeoutSeconds must be an integer in 1..${MAX_TIMEOUT_SECONDS}, got ${d.timeoutSeconds}`);
  }
  if (!Number.isInteger(d.memoryMb) || d.memoryMb < MIN_MEMORY_MB || d.memoryMb > MAX_MEMORY_MB) {
    throw new Error(`${where}: memoryMb must be an integer in ${MIN_MEMORY_MB}..${MAX_MEMORY_MB}, got ${d.memoryMb}`);
  }
  if (!/\.(ts|mts|js|mjs)$/.test(d.entry)) throw new Error(`${where}: entry must be a TypeScript or JavaScript module, got ${d.entry}`);
}

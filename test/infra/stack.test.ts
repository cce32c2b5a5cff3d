/**
 * CDK assertions on the synthesized renewal gateway (docs/architecture.md#aws-resources).
 * Expectations are derived from `shared/system.ts` wherever the description says it, so a queue,
 * function or route added there is checked here without editing this file; environment variable
 * names the handlers read are spelled out, because they are a contract with the handler code.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionSchedule } from '../../infra/constructs/function-schedule';
import { GatewayFunction, POWERTOOLS_SERVICE_NAME } from '../../infra/constructs/gateway-function';
import { ProviderConsumer } from '../../infra/constructs/provider-consumer';
import { ProviderQueue } from '../../infra/constructs/provider-queue';
import { RenewalTable } from '../../infra/constructs/renewal-table';
import { pascal } from '../../infra/naming';
import { RenewalGatewayStack } from '../../infra/renewal-gateway-stack';
import { SCHEDULE_SETTINGS, SECRET_PLACEHOLDER } from '../../infra/settings';
import {
  ENABLED_PROVIDERS,
  METRICS_NAMESPACE,
  PROVIDER_CONFIG,
  routeKey,
  system,
  visibilityTimeoutFor,
  VISIBILITY_TIMEOUT_FACTOR,
  type FunctionDescription,
  type FunctionId,
  type QueueDescription,
  type RouteDescription,
} from '../../shared/system';
import { getAtt, logicalId, ref, resource, synthGateway, type CfnResourceJson, type SynthesizedGateway } from './synth';

const queues = system.queues as readonly QueueDescription[];
const functions = system.functions as readonly FunctionDescription[];
const routes = system.routes as readonly RouteDescription[];
/** Functions the description runs on a schedule (`runsEvery`): each gets an EventBridge rule. */
const scheduled = functions.filter((f) => f.runsEvery !== undefined);
/** `rate(...)` as EventBridge spells a whole number of minutes. */
const rateExpression = (minutes: number): string => (minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`);
const firstQueue = (): QueueDescription => {
  const first = queues[0];
  if (!first) throw new Error('system.ts describes no queue');
  return first;
};
const consumerOf = (queue: QueueDescription): FunctionDescription => {
  const fn = functions.find((f) => f.consumes?.queueId === queue.id);
  if (!fn) throw new Error(`no consumer for ${queue.id}`);
  return fn;
};

let g: SynthesizedGateway;

beforeAll(() => {
  // Without bundling (see synth.ts): the bundles themselves are checked by bundles.test.ts.
  g = synthGateway();
});

afterAll(() => g?.dispose());

const fn = (id: FunctionId): GatewayFunction => {
  const found = g.stack.functions.get(id);
  if (!found) throw new Error(`no function ${id} in the stack`);
  return found;
};
const fnId = (id: FunctionId) => logicalId(g.stack, fn(id).fn);
const queue = (id: string): ProviderQueue => {
  const found = g.stack.queues.get(id);
  if (!found) throw new Error(`no queue ${id} in the stack`);
  return found;
};
const tableId = () => logicalId(g.stack, g.stack.table.table);
const props = (r: CfnResourceJson): Record<string, unknown> => r.Properties ?? {};
const envOf = (id: FunctionId): Record<string, unknown> => {
  const environment = props(resource(g.json, fnId(id), 'AWS::Lambda::Function')).Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  return environment?.Variables ?? {};
};
const resourcesOfType = (type: string): [string, CfnResourceJson][] =>
  Object.entries(g.json.Resources).filter(([, r]) => r.Type === type);

interface Statement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
}
/** Every statement of the IAM policies attached to a function's role. */
const statementsOf = (id: FunctionId): Statement[] => {
  const roleRef = JSON.stringify([ref(logicalId(g.stack, fn(id).role))]);
  return resourcesOfType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(props(p).Roles) === roleRef)
    .flatMap(([, p]) => (props(p).PolicyDocument as { Statement: Statement[] }).Statement);
};
/** Actions a function is allowed on exactly this resource (a Ref/GetAtt, possibly in a list). */
const actionsOn = (id: FunctionId, target: unknown): string[] => {
  const wanted = JSON.stringify(target);
  return statementsOf(id)
    .filter((s) => s.Effect === 'Allow')
    .filter((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((r) => JSON.stringify(r) === wanted))
    .flatMap((s) => (typeof s.Action === 'string' ? [s.Action] : [...s.Action]));
};
const allActions = (id: FunctionId): string[] =>
  statementsOf(id).flatMap((s) => (typeof s.Action === 'string' ? [s.Action] : [...s.Action]));

describe('table', () => {
  it('is the described table: string keys, on demand, PITR, encrypted, protected', () => {
    const table = resource(g.json, tableId(), 'AWS::DynamoDB::Table');
    expect(props(table)).toMatchObject({
      KeySchema: [
        { AttributeName: system.table.partitionKey, KeyType: 'HASH' },
        { AttributeName: system.table.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: expect.arrayContaining([
        { AttributeName: system.table.partitionKey, AttributeType: 'S' },
        { AttributeName: system.table.sortKey, AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('expires items by the described TTL attribute (webhook-id bindings only)', () => {
    const table = props(resource(g.json, tableId(), 'AWS::DynamoDB::Table'));
    expect(system.table.timeToLiveAttribute).toBe('expiresAt');
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('has every described index, projecting keys only (each query reads the items it finds with BatchGetItem)', () => {
    const table = props(resource(g.json, tableId(), 'AWS::DynamoDB::Table'));
    expect(table.GlobalSecondaryIndexes).toHaveLength(system.table.indexes.length);
    for (const index of system.table.indexes) {
      expect(table.GlobalSecondaryIndexes).toContainEqual({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      });
      expect(table.AttributeDefinitions).toEqual(
        expect.arrayContaining([
          { AttributeName: index.partitionKey, AttributeType: 'S' },
          { AttributeName: index.sortKey, AttributeType: 'S' },
        ]),
      );
    }
  });
});

describe('sweep index (renewals not finished)', () => {
  it('is a sparse GSI on gsi3pk/gsi3sk, projecting keys only', () => {
    const table = props(resource(g.json, tableId(), 'AWS::DynamoDB::Table'));
    expect(table.GlobalSecondaryIndexes).toContainEqual({
      IndexName: 'sweep',
      KeySchema: [
        { AttributeName: 'gsi3pk', KeyType: 'HASH' },
        { AttributeName: 'gsi3sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });
});

describe('inbox index (what operators look at)', () => {
  it('is a sparse GSI on gsi4pk/gsi4sk, projecting keys only', () => {
    const table = props(resource(g.json, tableId(), 'AWS::DynamoDB::Table'));
    expect(table.GlobalSecondaryIndexes).toContainEqual({
      IndexName: 'inbox',
      KeySchema: [
        { AttributeName: 'gsi4pk', KeyType: 'HASH' },
        { AttributeName: 'gsi4sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('shares no key attribute with another index (the sweep index keeps gsi3pk/gsi3sk)', () => {
    const attributes = system.table.indexes.flatMap((i) => [i.partitionKey, i.sortKey]);
    expect(new Set(attributes).size).toBe(attributes.length);
  });
});

describe('due index (scheduled renewals)', () => {
  it('is the sparse GSI the scheduler queries: gsi2pk/gsi2sk strings, projecting keys only', () => {
    expect(system.scheduler.dueIndex).toBe('due');
    const table = props(resource(g.json, tableId(), 'AWS::DynamoDB::Table'));
    expect(table.GlobalSecondaryIndexes).toContainEqual({
      IndexName: system.scheduler.dueIndex,
      KeySchema: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'gsi2pk', AttributeType: 'S' },
        { AttributeName: 'gsi2sk', AttributeType: 'S' },
      ]),
    );
  });
});

describe.each(queues.map((q) => [q.id, q] as const))('queue %s', (_id, description) => {
  const ids = () => ({
    queue: logicalId(g.stack, queue(description.id).queue),
    dlq: logicalId(g.stack, queue(description.id).deadLetterQueue),
  });

  it('and its DLQ are encrypted', () => {
    for (const id of Object.values(ids())) {
      expect(props(resource(g.json, id, 'AWS::SQS::Queue')).SqsManagedSseEnabled).toBe(true);
    }
  });

  it('and its DLQ deny requests without TLS', () => {
    for (const id of Object.values(ids())) {
      g.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(id)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('redrives to its DLQ after the described receive count (>= 5)', () => {
    const { queue: queueId, dlq } = ids();
    expect(description.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(props(resource(g.json, queueId, 'AWS::SQS::Queue')).RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt(dlq, 'Arn'),
      maxReceiveCount: description.maxReceiveCount,
    });
  });

  it('keeps work messages 14 days (nothing accepted expires), and dead letters at least as long', () => {
    const { queue: queueId, dlq } = ids();
    const retention = props(resource(g.json, queueId, 'AWS::SQS::Queue')).MessageRetentionPeriod;
    const dlqRetention = props(resource(g.json, dlq, 'AWS::SQS::Queue')).MessageRetentionPeriod;
    expect(retention).toBe(description.retentionDays * 86_400);
    expect(dlqRetention).toBe(description.dlqRetentionDays * 86_400);
    expect(retention).toBe(14 * 86_400);
    expect(Number(dlqRetention)).toBeGreaterThanOrEqual(Number(retention));
  });

  it(`has a visibility timeout of at least ${VISIBILITY_TIMEOUT_FACTOR}x its consumer timeout`, () => {
    const consumer = consumerOf(description);
    const visibility = props(resource(g.json, ids().queue, 'AWS::SQS::Queue')).VisibilityTimeout;
    expect(visibility).toBe(visibilityTimeoutFor(consumer));
    expect(Number(visibility)).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * consumer.timeoutSeconds);
  });

  it('feeds its consumer: partial batch failures, batching and concurrency cap as described', () => {
    const consumer = consumerOf(description);
    if (!consumer.consumes) throw new Error('consumer without consumes');
    g.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(ids().queue, 'Arn'),
      FunctionName: ref(fnId(consumer.id)),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: consumer.consumes.batchSize,
      MaximumBatchingWindowInSeconds: consumer.consumes.maxBatchingWindowSeconds,
      ScalingConfig: { MaximumConcurrency: consumer.consumes.maximumConcurrency },
    });
  });

  it('alarms on any message in the DLQ and on an old oldest message', () => {
    const { queue: queueId, dlq } = ids();
    const topic = ref(logicalId(g.stack, g.stack.alarms.topic));
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(dlq, 'QueueName') }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(queueId, 'QueueName') }],
      Threshold: Match.anyValue(),
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
  });
});

describe.each(functions.map((f) => [f.id, f] as const))('function %s', (id, description) => {
  it('runs Node.js 22 on arm64, untraced by default, with the described timeout and memory', () => {
    expect(props(resource(g.json, fnId(id), 'AWS::Lambda::Function')).TracingConfig).toBeUndefined();
    expect(props(resource(g.json, fnId(id), 'AWS::Lambda::Function'))).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: description.timeoutSeconds,
      MemorySize: description.memoryMb,
      Handler: 'index.handler',
    });
  });

  it('logs to its own log group with retention', () => {
    const logGroup = logicalId(g.stack, fn(id).logGroup);
    expect(props(resource(g.json, fnId(id), 'AWS::Lambda::Function')).LoggingConfig).toMatchObject({ LogGroup: ref(logGroup) });
    expect(props(resource(g.json, logGroup, 'AWS::Logs::LogGroup')).RetentionInDays).toBe(30);
    expect(actionsOn(id, getAtt(logGroup, 'Arn'))).toEqual(expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents']));
  });

  it('has the common environment: table name, source maps, Powertools settings', () => {
    expect(envOf(id)).toMatchObject({
      TABLE_NAME: ref(tableId()),
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'renewal-gateway',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('uses a role of its own without managed policies (no account-wide log access)', () => {
    const role = props(resource(g.json, logicalId(g.stack, fn(id).role), 'AWS::IAM::Role'));
    expect(role.ManagedPolicyArns).toBeUndefined();
  });

  it('alarms on errors', () => {
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(fnId(id)) }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [ref(logicalId(g.stack, g.stack.alarms.topic))],
    });
  });
});

describe('environment and grants (wired together)', () => {
  /** The secret a `<NAME>_SECRET_ARN` variable points at, checked to be a stack secret. */
  const secretRef = (id: FunctionId, env: string): { Ref: string } => {
    const value = envOf(id)[env];
    expect(value, `${id} has ${env}`).toEqual({ Ref: expect.any(String) });
    const secret = value as { Ref: string };
    resource(g.json, secret.Ref, 'AWS::SecretsManager::Secret');
    return secret;
  };
  const secretEnvs = (id: FunctionId) => Object.keys(envOf(id)).filter((k) => k.endsWith('_SECRET_ARN'));

  it('intake: every provider queue URL with send, webhook secrets, table read/write', () => {
    for (const q of queues) {
      const queueId = logicalId(g.stack, queue(q.id).queue);
      expect(envOf('intake')[q.urlEnv]).toEqual(ref(queueId));
      expect(actionsOn('intake', getAtt(queueId, 'Arn'))).toContain('sqs:SendMessage');
      expect(actionsOn('intake', getAtt(queueId, 'Arn'))).not.toContain('sqs:ReceiveMessage');
    }
    expect(secretEnvs('intake')).toEqual(['RENEWALS_WEBHOOK_SECRETS_SECRET_ARN']);
    expect(actionsOn('intake', secretRef('intake', 'RENEWALS_WEBHOOK_SECRETS_SECRET_ARN'))).toContain('secretsmanager:GetSecretValue');
    expect(actionsOn('intake', getAtt(tableId(), 'Arn'))).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
    );
  });

  it('status: read and operator tokens, table read only; no queues', () => {
    expect(secretEnvs('status').sort()).toEqual(['RENEWALS_OPERATOR_TOKENS_SECRET_ARN', 'RENEWALS_READ_TOKENS_SECRET_ARN']);
    expect(actionsOn('status', secretRef('status', 'RENEWALS_READ_TOKENS_SECRET_ARN'))).toContain('secretsmanager:GetSecretValue');
    const tableActions = actionsOn('status', getAtt(tableId(), 'Arn'));
    expect(tableActions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const write of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
      expect(tableActions).not.toContain(write);
    }
    expect(allActions('status').filter((a) => a.startsWith('sqs:'))).toEqual([]);
    expect(Object.keys(envOf('status')).filter((k) => k.endsWith('_QUEUE_URL'))).toEqual([]);
  });

  const TABLE_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

  it('schedules: webhook secrets, read and operator tokens, table read/write; no queues', () => {
    expect(secretEnvs('schedules').sort()).toEqual(['RENEWALS_OPERATOR_TOKENS_SECRET_ARN', 'RENEWALS_READ_TOKENS_SECRET_ARN', 'RENEWALS_WEBHOOK_SECRETS_SECRET_ARN']);
    for (const env of secretEnvs('schedules')) {
      expect(actionsOn('schedules', secretRef('schedules', env)), env).toContain('secretsmanager:GetSecretValue');
    }
    // The same secrets as intake (signed writes) and status (read tokens), not copies of them.
    expect(envOf('schedules').RENEWALS_WEBHOOK_SECRETS_SECRET_ARN).toEqual(envOf('intake').RENEWALS_WEBHOOK_SECRETS_SECRET_ARN);
    expect(envOf('schedules').RENEWALS_READ_TOKENS_SECRET_ARN).toEqual(envOf('status').RENEWALS_READ_TOKENS_SECRET_ARN);
    expect(actionsOn('schedules', getAtt(tableId(), 'Arn'))).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...TABLE_WRITES]),
    );
    expect(allActions('schedules').filter((a) => a.startsWith('sqs:'))).toEqual([]);
    expect(Object.keys(envOf('schedules')).filter((k) => k.endsWith('_QUEUE_URL'))).toEqual([]);
  });

  it('operator: the only function that may move messages; both token secrets, table read/write, every queue', () => {
    expect(secretEnvs('operator').sort()).toEqual(['RENEWALS_OPERATOR_TOKENS_SECRET_ARN', 'RENEWALS_READ_TOKENS_SECRET_ARN']);
    expect(envOf('operator').RENEWALS_OPERATOR_TOKENS_SECRET_ARN).toEqual(envOf('status').RENEWALS_OPERATOR_TOKENS_SECRET_ARN);
    const MOVE = ['sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask'];
    for (const q of queues) {
      const main = logicalId(g.stack, queue(q.id).queue);
      const dlq = logicalId(g.stack, queue(q.id).deadLetterQueue);
      expect(envOf('operator')[q.urlEnv]).toEqual(ref(main));
      expect(envOf('operator')[q.dlqUrlEnv]).toEqual(ref(dlq));
      expect(envOf('operator')[q.dlqArnEnv]).toEqual(getAtt(dlq, 'Arn'));
      expect(envOf('operator')[q.arnEnv]).toEqual(getAtt(main, 'Arn'));
      expect(actionsOn('operator', getAtt(main, 'Arn'))).toEqual(expect.arrayContaining(['sqs:SendMessage', 'sqs:GetQueueAttributes']));
      expect(actionsOn('operator', getAtt(main, 'Arn'))).not.toContain('sqs:ReceiveMessage');
      expect(actionsOn('operator', getAtt(dlq, 'Arn'))).toEqual(
        expect.arrayContaining(['sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', ...MOVE]),
      );
      expect(actionsOn('operator', getAtt(dlq, 'Arn'))).not.toContain('sqs:SendMessage');
    }
    // No other function may move messages or read dead letters.
    for (const f of functions.filter((x) => x.id !== 'operator')) {
      for (const action of MOVE) expect(allActions(f.id), `${f.id} ${action}`).not.toContain(action);
      for (const q of queues) {
        expect(actionsOn(f.id, getAtt(logicalId(g.stack, queue(q.id).deadLetterQueue), 'Arn')), `${f.id} on ${q.id} DLQ`).toEqual([]);
      }
    }
    expect(actionsOn('operator', getAtt(tableId(), 'Arn'))).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', ...TABLE_WRITES]));
  });

  it('scheduler: every provider queue URL with send, table read/write (due index included); no secrets', () => {
    for (const q of queues) {
      const queueId = logicalId(g.stack, queue(q.id).queue);
      expect(envOf('scheduler')[q.urlEnv]).toEqual(ref(queueId));
      expect(actionsOn('scheduler', getAtt(queueId, 'Arn'))).toContain('sqs:SendMessage');
      expect(actionsOn('scheduler', getAtt(queueId, 'Arn'))).not.toContain('sqs:ReceiveMessage');
    }
    expect(secretEnvs('scheduler')).toEqual([]);
    expect(allActions('scheduler').filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect(actionsOn('scheduler', getAtt(tableId(), 'Arn'))).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...TABLE_WRITES]),
    );
    // Queries on the due index need the index ARN, which the table grant covers.
    expect(actionsOn('scheduler', { 'Fn::Join': ['', [getAtt(tableId(), 'Arn'), '/index/*']] })).toContain('dynamodb:Query');
    const scheduler = functions.find((f) => f.id === 'scheduler');
    expect(props(resource(g.json, fnId('scheduler'), 'AWS::Lambda::Function'))).toMatchObject({
      Timeout: scheduler?.timeoutSeconds,
      MemorySize: scheduler?.memoryMb,
    });
    expect(scheduler).toMatchObject({ timeoutSeconds: 300, memoryMb: 1024 });
  });

  it('scheduler fan-out: one shard per message from its own queue (batch 1, SCHEDULER.workers at once), which it also sends to; the queue redrives to an alarmed DLQ', () => {
    const fanout = g.stack.schedulerQueue;
    const queueId = logicalId(g.stack, fanout.queue);
    const dlqId = logicalId(g.stack, fanout.deadLetterQueue);
    expect(envOf('scheduler')[system.scheduler.queueUrlEnv]).toEqual(ref(queueId));
    expect(actionsOn('scheduler', getAtt(queueId, 'Arn'))).toEqual(expect.arrayContaining(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    g.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(queueId, 'Arn'),
      FunctionName: ref(fnId('scheduler')),
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: system.scheduler.workers },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const q = props(resource(g.json, queueId, 'AWS::SQS::Queue'));
    expect(q).toMatchObject({ SqsManagedSseEnabled: true, VisibilityTimeout: 300 * 6, RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId, 'Arn'), maxReceiveCount: 5 } });
    expect(props(resource(g.json, dlqId, 'AWS::SQS::Queue')).MessageRetentionPeriod).toBe(14 * 86_400);
    const alarm = resourcesOfType('AWS::CloudWatch::Alarm').filter(([, a]) => JSON.stringify(props(a).Dimensions ?? []).includes(dlqId));
    expect(alarm).toHaveLength(1);
  });

  it('consumer-pressone: its own queue (consume + re-send), base URL, API key, table read/write', () => {
    const queueId = logicalId(g.stack, queue('PressOne').queue);
    const env = envOf('consumer-pressone');
    expect(env.PRESSONE_QUEUE_URL).toEqual(ref(queueId));
    expect(env.PRESSONE_BASE_URL).toBe('https://api.pressone.co');
    expect(secretEnvs('consumer-pressone')).toEqual(['PRESSONE_API_KEY_SECRET_ARN']);
    expect(actionsOn('consumer-pressone', secretRef('consumer-pressone', 'PRESSONE_API_KEY_SECRET_ARN'))).toContain(
      'secretsmanager:GetSecretValue',
    );
    expect(actionsOn('consumer-pressone', getAtt(queueId, 'Arn'))).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage']),
    );
    expect(actionsOn('consumer-pressone', getAtt(tableId(), 'Arn'))).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
    );
  });

  it('each secret is readable by exactly the functions whose environment names it', () => {
    for (const [secretId] of resourcesOfType('AWS::SecretsManager::Secret')) {
      for (const f of functions) {
        const named = Object.values(envOf(f.id)).some((v) => JSON.stringify(v) === JSON.stringify(ref(secretId)));
        const readable = actionsOn(f.id, ref(secretId)).includes('secretsmanager:GetSecretValue');
        expect(readable, `${f.id} and secret ${secretId}`).toBe(named);
      }
    }
  });

  it('every queue URL in an environment comes with send permission on that queue', () => {
    for (const f of functions) {
      for (const q of queues) {
        const url = envOf(f.id)[q.urlEnv];
        const queueId = logicalId(g.stack, queue(q.id).queue);
        const canSend = actionsOn(f.id, getAtt(queueId, 'Arn')).includes('sqs:SendMessage');
        expect(canSend, `${f.id} and ${q.urlEnv}`).toBe(url !== undefined);
      }
    }
  });

  it('secrets: placeholders for credentials issued elsewhere, generated read and operator tokens', () => {
    const secrets = resourcesOfType('AWS::SecretsManager::Secret').map(([, r]) => props(r));
    const providerSecrets = ENABLED_PROVIDERS.flatMap((p) => PROVIDER_CONFIG[p].secretEnvs.map((name) => [`consumer-${p}` as FunctionId, `${name}_SECRET_ARN`] as [FunctionId, string]));
    // The webhook secrets, the read tokens, the operator tokens, and every provider credential.
    expect(secrets).toHaveLength(3 + providerSecrets.length);
    const readTokens = props(resource(g.json, secretRef('status', 'RENEWALS_READ_TOKENS_SECRET_ARN').Ref, 'AWS::SecretsManager::Secret'));
    expect(readTokens.GenerateSecretString).toMatchObject({ ExcludePunctuation: true });
    // A bare generated token acts as "operator" (parseOperatorTokens): no punctuation, so no "=".
    const operatorTokens = props(resource(g.json, secretRef('operator', 'RENEWALS_OPERATOR_TOKENS_SECRET_ARN').Ref, 'AWS::SecretsManager::Secret'));
    expect(operatorTokens.GenerateSecretString).toMatchObject({ ExcludePunctuation: true, PasswordLength: 48 });
    const placeholders: [FunctionId, string][] = [['intake', 'RENEWALS_WEBHOOK_SECRETS_SECRET_ARN'], ...providerSecrets];
    for (const [id, env] of placeholders) {
      const secret = props(resource(g.json, secretRef(id, env).Ref, 'AWS::SecretsManager::Secret'));
      expect(secret.SecretString).toBe(SECRET_PLACEHOLDER);
    }
  });
});

describe.each(scheduled.map((f) => [f.id, f] as const))('schedule of %s', (id, description) => {
  const schedule = (): FunctionSchedule => {
    const found = g.stack.schedules.get(id);
    if (!found) throw new Error(`no schedule for ${id}`);
    return found;
  };
  const ids = () => ({ rule: logicalId(g.stack, schedule().rule), dlq: logicalId(g.stack, schedule().deadLetterQueue) });
  const describedMinutes = (description.runsEvery?.seconds ?? 0) / 60;

  it('is one EventBridge rule at the described rate', () => {
    const rules = resourcesOfType('AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(props(r).Targets).includes(JSON.stringify(getAtt(fnId(id), 'Arn'))),
    );
    expect(rules.map(([ruleId]) => ruleId)).toEqual([ids().rule]);
    expect(props(resource(g.json, ids().rule, 'AWS::Events::Rule'))).toMatchObject({
      ScheduleExpression: rateExpression(describedMinutes),
      State: 'ENABLED',
    });
  });

  it('targets the function with a retry policy and a dead-letter queue', () => {
    const targets = props(resource(g.json, ids().rule, 'AWS::Events::Rule')).Targets;
    expect(targets).toEqual([
      {
        Id: expect.any(String),
        Arn: getAtt(fnId(id), 'Arn'),
        RetryPolicy: {
          MaximumRetryAttempts: SCHEDULE_SETTINGS.retryAttempts,
          MaximumEventAgeInSeconds: SCHEDULE_SETTINGS.maxEventAgeSeconds,
        },
        DeadLetterConfig: { Arn: getAtt(ids().dlq, 'Arn') },
      },
    ]);
    // EventBridge may invoke the function for this rule only.
    g.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(fnId(id), 'Arn'),
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt(ids().rule, 'Arn'),
    });
  });

  it('dead-letter queue: encrypted, TLS only, 14 days, writable by EventBridge for this rule only', () => {
    const dlq = props(resource(g.json, ids().dlq, 'AWS::SQS::Queue'));
    expect(dlq).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: SCHEDULE_SETTINGS.deadLetterRetentionDays * 86_400,
    });
    expect(SCHEDULE_SETTINGS.deadLetterRetentionDays).toBe(14);
    g.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(ids().dlq)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(ids().rule, 'Arn') } },
          }),
        ]),
      },
    });
  });

  it('a run the function fails is not retried by Lambda and goes to the same dead-letter queue', () => {
    const configs = resourcesOfType('AWS::Lambda::EventInvokeConfig').filter(
      ([, c]) => JSON.stringify(props(c).FunctionName) === JSON.stringify(ref(fnId(id))),
    );
    expect(configs.map(([, c]) => props(c))).toEqual([
      {
        FunctionName: ref(fnId(id)),
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: SCHEDULE_SETTINGS.maxEventAgeSeconds,
        DestinationConfig: { OnFailure: { Destination: getAtt(ids().dlq, 'Arn') } },
      },
    ]);
    expect(actionsOn(id, getAtt(ids().dlq, 'Arn'))).toContain('sqs:SendMessage');
  });

  it('alarms on failed runs in the DLQ and on failed rule invocations', () => {
    const topic = ref(logicalId(g.stack, g.stack.alarms.topic));
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(ids().dlq, 'QueueName') }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: ref(ids().rule) }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('outputs the dead-letter queue URL', () => {
    const output = Object.entries(g.json.Outputs ?? {}).filter(([, o]) => JSON.stringify(o.Value) === JSON.stringify(ref(ids().dlq)));
    expect(output.map(([name]) => name)).toEqual([`${pascal(id)}DeadLetterQueueUrl`]);
  });
});

describe('scheduler', () => {
  it('runs every minute by default', () => {
    const rule = g.stack.schedules.get('scheduler')?.rule;
    if (!rule) throw new Error('no scheduler rule');
    expect(props(resource(g.json, logicalId(g.stack, rule), 'AWS::Events::Rule')).ScheduleExpression).toBe('rate(1 minute)');
  });

  it('the scheduler and the sweeper are the scheduled functions, and no other function has a rule', () => {
    expect(scheduled.map((f) => f.id)).toEqual(['scheduler', 'sweeper']);
    expect([...g.stack.schedules.keys()]).toEqual(['scheduler', 'sweeper']);
    expect(resourcesOfType('AWS::Events::Rule')).toHaveLength(2);
  });

  it('the sweeper runs on its own rule every 5 minutes, with a dead-letter queue and alarms like the scheduler', () => {
    const schedule = g.stack.schedules.get('sweeper');
    if (!schedule) throw new Error('no sweeper rule');
    const ruleId = logicalId(g.stack, schedule.rule);
    const rule = props(resource(g.json, ruleId, 'AWS::Events::Rule'));
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    const dlqId = logicalId(g.stack, schedule.deadLetterQueue);
    expect(JSON.stringify(rule.Targets)).toContain(dlqId);
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(props(a)));
    expect(alarms.filter((a) => a.includes(dlqId))).toHaveLength(1);
    expect(alarms.filter((a) => a.includes(ruleId) && a.includes('FailedInvocations'))).toHaveLength(1);
    expect(alarms.filter((a) => a.includes(fnId('sweeper')) && a.includes('Errors'))).toHaveLength(1);
    // It reads the sweep index, rewrites renewals and re-sends to every provider queue.
    for (const q of queues) expect(actionsOn('sweeper', getAtt(logicalId(g.stack, queue(q.id).queue), 'Arn'))).toEqual(expect.arrayContaining(['sqs:SendMessage', 'sqs:GetQueueAttributes']));
    expect(actionsOn('sweeper', { 'Fn::Join': ['', [getAtt(tableId(), 'Arn'), '/index/*']] })).toContain('dynamodb:Query');
  });

  it('alarms when the sweeper forecasts a provider backlog past the earliest deadline waiting (its metric, any in 10 minutes)', () => {
    const topic = ref(logicalId(g.stack, g.stack.alarms.topic));
    const forecast = resourcesOfType('AWS::CloudWatch::Alarm').filter(([, a]) => props(a).MetricName === 'ProvidersForecastLate');
    expect(forecast).toHaveLength(1);
    const [, alarm] = forecast[0] ?? [];
    if (!alarm) throw new Error('no backlog forecast alarm');
    expect(props(alarm)).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [{ Name: 'service', Value: POWERTOOLS_SERVICE_NAME }],
      Statistic: 'Maximum',
      Period: 600,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });
});

describe('HTTP API', () => {
  const apiId = () => logicalId(g.stack, g.stack.api.api);

  it('is an HTTP API (v2)', () => {
    expect(props(resource(g.json, apiId(), 'AWS::ApiGatewayV2::Api')).ProtocolType).toBe('HTTP');
  });

  it.each(routes.map((r) => [routeKey(r), r] as const))('routes %s to its function (Lambda proxy, payload 2.0)', (key, route) => {
    const found = resourcesOfType('AWS::ApiGatewayV2::Route').filter(([, r]) => props(r).RouteKey === key);
    expect(found).toHaveLength(1);
    const target = JSON.stringify(props(found[0]?.[1] ?? { Type: '' }).Target);
    const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
    expect(integrationId, `target of ${key}`).toBeDefined();
    expect(props(resource(g.json, integrationId ?? '', 'AWS::ApiGatewayV2::Integration'))).toMatchObject({
      ApiId: ref(apiId()),
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(fnId(route.functionId), 'Arn'),
      PayloadFormatVersion: '2.0',
    });
    // API Gateway may invoke the function for this route.
    g.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(fnId(route.functionId), 'Arn'),
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('serves the schedule routes from the schedules function', () => {
    const scheduleRoutes = routes.filter((r) => r.path.endsWith('/schedule'));
    expect(scheduleRoutes.map((r) => `${routeKey(r)} ${r.functionId} ${r.auth}`).sort()).toEqual([
      'DELETE /v1/subscriptions/{provider}/{subscriptionRef}/schedule schedules webhook-signature',
      'GET /v1/subscriptions/{provider}/{subscriptionRef}/schedule schedules read-token',
      'PUT /v1/subscriptions/{provider}/{subscriptionRef}/schedule schedules webhook-signature',
    ]);
    const integrations = new Set<string>();
    for (const route of scheduleRoutes) {
      const found = resourcesOfType('AWS::ApiGatewayV2::Route').filter(([, r]) => props(r).RouteKey === routeKey(route));
      expect(found, routeKey(route)).toHaveLength(1);
      const integrationId = /"Ref":"([^"]+)"/.exec(JSON.stringify(props(found[0]?.[1] ?? { Type: '' }).Target))?.[1] ?? '';
      expect(props(resource(g.json, integrationId, 'AWS::ApiGatewayV2::Integration')).IntegrationUri).toEqual(getAtt(fnId('schedules'), 'Arn'));
      integrations.add(integrationId);
    }
    // One integration shared by the three routes.
    expect(integrations.size).toBe(1);
  });

  it('has no routes beyond the described ones', () => {
    expect(resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => props(r).RouteKey).sort()).toEqual(routes.map(routeKey).sort());
  });

  it('reserves (and caps) the intake concurrency, so a webhook burst cannot starve the consumers', () => {
    expect(props(resource(g.json, fnId('intake'), 'AWS::Lambda::Function')).ReservedConcurrentExecutions).toBe(200);
    for (const f of functions.filter((x) => x.id !== 'intake')) {
      expect(props(resource(g.json, fnId(f.id), 'AWS::Lambda::Function')).ReservedConcurrentExecutions, f.id).toBeUndefined();
    }
  });

  it('serves a $default stage with JSON access logs and throttling sized for webhook bursts', () => {
    const stage = props(resource(g.json, logicalId(g.stack, g.stack.api.stage), 'AWS::ApiGatewayV2::Stage'));
    expect(stage).toMatchObject({
      ApiId: ref(apiId()),
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 5000 },
    });
    const logGroup = logicalId(g.stack, g.stack.api.accessLogGroup);
    const settings = stage.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual(getAtt(logGroup, 'Arn'));
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
    });
    // No field that holds the path or query: PressOne's subscription reference is an email.
    expect(Object.values(format).filter((v) => /\$context\.(path|resourcePath)|querystring/i.test(v))).toEqual([]);
    expect(props(resource(g.json, logGroup, 'AWS::Logs::LogGroup')).RetentionInDays).toBe(30);
  });
});

describe('alarm count (README "Alarms" and "Cost", docs/architecture.md#alarms)', () => {
  it('is a DLQ-depth and an oldest-message-age alarm per provider, one errors alarm per function, 2 per rule, the scheduler queue DLQ, 4 on events, 4 on push delivery, the backlog forecast: 34 with the four providers', () => {
    const perFunction = system.functions.length;
    const providers = system.queues.length;
    expect(perFunction).toBe(providers + 8);
    expect(resourcesOfType('AWS::CloudWatch::Alarm')).toHaveLength(2 * providers + perFunction + 2 * 2 + 1 + 4 + 4 + 1);
    // The README prices 33 for the four providers ("Cost"), before the slow lane's DLQ alarm (34);
    // each provider added to the registry
    // adds 3 (its DLQ depth, oldest-message age, consumer errors), updated there by hand.
    expect(resourcesOfType('AWS::Lambda::Function')).toHaveLength(perFunction);
    expect(resourcesOfType('AWS::Logs::LogGroup')).toHaveLength(perFunction + 1);
  });
});

describe('alarm topic', () => {
  it('is encrypted with a rotating key CloudWatch may use, and refuses non-TLS publishing', () => {
    const topicId = logicalId(g.stack, g.stack.alarms.topic);
    const keyId = logicalId(g.stack, g.stack.alarms.topicKey);
    expect(props(resource(g.json, topicId, 'AWS::SNS::Topic')).KmsMasterKeyId).toEqual(getAtt(keyId, 'Arn'));
    expect(props(resource(g.json, keyId, 'AWS::KMS::Key')).EnableKeyRotation).toBe(true);
    g.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    g.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(topicId)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('every alarm notifies the topic when it fires and when it clears', () => {
    const topic = ref(logicalId(g.stack, g.stack.alarms.topic));
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm');
    // Per queue: DLQ depth and oldest message; per function: errors; per schedule: DLQ depth and
    // failed invocations; the scheduler queue's DLQ depth; events: needs_attention, failure rate,
    // stream failures, iterator age; push delivery: deliveries failing, given up, its DLQ and the
    // slow lane's DLQ; the backlog forecast.
    expect(alarms).toHaveLength(queues.length * 2 + functions.length + scheduled.length * 2 + 1 + 4 + 4 + 1);
    for (const [, alarm] of alarms) {
      expect(props(alarm)).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    }
  });
});

describe('names and outputs', () => {
  /** Properties that set a physical name; a literal value would collide between stages. */
  const NAME_PROPERTIES = [
    'TableName',
    'QueueName',
    'FunctionName',
    'RoleName',
    'LogGroupName',
    'TopicName',
    'AlarmName',
    'Name',
    'ApiName',
    'AliasName',
    'ManagedPolicyName',
  ];

  it('no resource has a hard-coded physical name (names are generated, or derived from the stage)', () => {
    const offenders: string[] = [];
    for (const [id, r] of Object.entries(g.json.Resources)) {
      for (const key of NAME_PROPERTIES) {
        const value = props(r)[key];
        // References (Ref/GetAtt to a generated name) are fine; a literal must carry the stage.
        if (typeof value === 'string' && !value.includes(g.stack.stackName)) offenders.push(`${id}.${key}=${value}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(resourcesOfType('AWS::DynamoDB::Table').every(([, r]) => props(r).TableName === undefined)).toBe(true);
    expect(resourcesOfType('AWS::SQS::Queue').every(([, r]) => props(r).QueueName === undefined)).toBe(true);
    expect(resourcesOfType('AWS::Lambda::Function').every(([, r]) => props(r).FunctionName === undefined)).toBe(true);
  });

  it('exports nothing by name and outputs the API URL, table name and queue URLs', () => {
    const outputs = g.json.Outputs ?? {};
    expect(Object.values(outputs).filter((o) => o.Export !== undefined)).toEqual([]);
    expect(outputs.ApiUrl?.Value).toBeDefined();
    expect(outputs.TableName?.Value).toEqual(ref(tableId()));
    for (const q of queues) {
      expect(outputs[`${q.id}QueueUrl`]?.Value).toEqual(ref(logicalId(g.stack, queue(q.id).queue)));
      expect(outputs[`${q.id}DeadLetterQueueUrl`]?.Value).toEqual(ref(logicalId(g.stack, queue(q.id).deadLetterQueue)));
    }
  });

  it('names the stack after the default stage', () => {
    expect(g.stack.stackName).toBe('RenewalGateway-dev');
  });
});

describe('stage configuration from context', () => {
  let prod: SynthesizedGateway;
  beforeAll(() => {
    // Same bundling inputs as the default synth: the asset cache makes this one cheap.
    prod = synthGateway({
      context: {
        stage: 'prod',
        pressoneBaseUrl: 'https://sandbox.pressone.example',
        retainData: 'false',
        digitalriverAuthHeader: 'token',
        pelcroRateLimit: '60/60s',
        pelcroMaxConcurrency: '2',
        schedulerRateMinutes: '5',
        tracing: 'active',
        apiRateLimit: '200',
        apiBurstLimit: '400',
        intakeReservedConcurrency: '0',
        tableWarmWritesPerSecond: '8000',
      },
    });
  });
  afterAll(() => prod?.dispose());

  it('keeps every dead-letter queue with the data by default (retainData), and lets a throwaway stage delete them', () => {
    const queues = (json: typeof prod.json) => Object.entries(json.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
    const deadLetters = (json: typeof prod.json) => queues(json).filter(([id]) => /DeadLetterQueue|FailureQueue/.test(id));
    // Four providers', the scheduler queue's, the delivery queue's and its slow lane's, the events' failures, and the rules' DLQs.
    expect(deadLetters(g.json).length).toBeGreaterThanOrEqual(9);
    for (const [id, r] of deadLetters(g.json)) expect(r.DeletionPolicy, id).toBe('Retain');
    for (const [id, r] of queues(g.json).filter(([qid]) => !/DeadLetterQueue|FailureQueue/.test(qid))) expect(r.DeletionPolicy, id).toBe('Delete');
    for (const [id, r] of deadLetters(prod.json)) expect(r.DeletionPolicy, id).toBe('Delete');
  });

  it('pre-warms the table and every index for the month-start fan-out when asked (-c tableWarmWritesPerSecond), and not by default', () => {
    const table = (json: typeof prod.json) => props(Object.values(json.Resources ?? {}).find((r) => r.Type === 'AWS::DynamoDB::Table') ?? { Type: '' });
    const warmed = table(prod.json);
    expect(warmed.WarmThroughput).toEqual({ WriteUnitsPerSecond: 8000 });
    const indexes = warmed.GlobalSecondaryIndexes as Array<{ IndexName: string; WarmThroughput?: unknown }>;
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(['bySubscription', 'due', 'inbox', 'sweep']);
    for (const index of indexes) expect(index.WarmThroughput, index.IndexName).toEqual({ WriteUnitsPerSecond: 8000 });
    const plain = table(g.json);
    expect(plain.WarmThroughput).toBeUndefined();
    for (const index of plain.GlobalSecondaryIndexes as Array<{ WarmThroughput?: unknown }>) expect(index.WarmThroughput).toBeUndefined();
  });

  it.each(['3999', '40001', '5000.5', 'lots'])('refuses tableWarmWritesPerSecond=%s, naming the key', (value) => {
    expect(() => synthGateway({ context: { tableWarmWritesPerSecond: value } })).toThrow(/tableWarmWritesPerSecond/);
  });

  it('traces every function when asked (-c tracing=active), and takes the throttle and intake reservation from context', () => {
    for (const [, fn] of prod.stack.functions) {
      expect(props(resource(prod.json, logicalId(prod.stack, fn.fn), 'AWS::Lambda::Function')).TracingConfig).toEqual({ Mode: 'Active' });
    }
    const stage = Object.values(prod.json.Resources ?? {}).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
    expect(props(stage ?? { Type: '' }).DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 });
    const intake = prod.stack.functions.get('intake');
    if (!intake) throw new Error('no intake');
    expect(props(resource(prod.json, logicalId(prod.stack, intake.fn), 'AWS::Lambda::Function')).ReservedConcurrentExecutions).toBeUndefined();
  });

  it('names the stack after the stage and uses the stage provider URL', () => {
    expect(prod.stack.stackName).toBe('RenewalGateway-prod');
    const consumer = prod.stack.functions.get('consumer-pressone');
    if (!consumer) throw new Error('no consumer');
    const fnResource = resource(prod.json, logicalId(prod.stack, consumer.fn), 'AWS::Lambda::Function');
    expect(props(fnResource).Environment).toMatchObject({ Variables: { PRESSONE_BASE_URL: 'https://sandbox.pressone.example' } });
  });

  it('passes provider settings to that provider’s consumer only, and its concurrency to its event source', () => {
    const envFor = (id: FunctionId) => {
      const f = prod.stack.functions.get(id);
      if (!f) throw new Error(`no ${id}`);
      return (props(resource(prod.json, logicalId(prod.stack, f.fn), 'AWS::Lambda::Function')).Environment as { Variables: Record<string, unknown> }).Variables;
    };
    expect(envFor('consumer-digitalriver').DIGITALRIVER_AUTH_HEADER).toBe('token');
    expect(envFor('consumer-pelcro').PELCRO_RATE_LIMIT).toBe('60/60s');
    expect(envFor('consumer-pelcro').DIGITALRIVER_AUTH_HEADER).toBeUndefined();
    expect(envFor('consumer-punchh').PELCRO_RATE_LIMIT).toBeUndefined();
    const pelcro = prod.stack.functions.get('consumer-pelcro');
    if (!pelcro) throw new Error('no pelcro consumer');
    const mappings = Object.values(prod.json.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(r.Properties?.FunctionName).includes(logicalId(prod.stack, pelcro.fn)),
    );
    expect(mappings.map((m) => (m.Properties?.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency)).toEqual([2]);
  });

  it('schedulerRateMinutes sets the scheduler rule rate', () => {
    const rule = prod.stack.schedules.get('scheduler')?.rule;
    if (!rule) throw new Error('no scheduler rule');
    expect(props(resource(prod.json, logicalId(prod.stack, rule), 'AWS::Events::Rule')).ScheduleExpression).toBe(rateExpression(5));
    expect(rateExpression(5)).toBe('rate(5 minutes)');
  });

  it('retainData=false makes a throwaway stage: the table is deletable', () => {
    const table = resource(prod.json, logicalId(prod.stack, prod.stack.table.table), 'AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Delete');
    expect(props(table).DeletionProtectionEnabled).toBe(false);
  });
});

describe('construct checks at synth time', () => {
  const goodQueue = (): QueueDescription => ({ ...firstQueue(), id: 'Check' });
  const sixTimes = () => Duration.seconds(visibilityTimeoutFor(consumerOf(firstQueue())));

  it('rejects a stage name that cannot be part of resource names', () => {
    expect(() => synthGateway({ context: { stage: 'Prod_1' } })).toThrow(/stage "Prod_1" must match/);
  });

  it('rejects a provider base URL that is not https', () => {
    expect(() => synthGateway({ context: { pressoneBaseUrl: 'http://api.pressone.co' } })).toThrow(/must be https/);
  });

  it('ProviderQueue refuses fewer than 5 receives, and a DLQ that keeps messages less long than the queue', () => {
    const stack = new Stack();
    const visibilityTimeout = sixTimes();
    expect(() => new ProviderQueue(stack, 'A', { description: { ...goodQueue(), maxReceiveCount: 3 }, visibilityTimeout })).toThrow(
      /maxReceiveCount/,
    );
    expect(
      () => new ProviderQueue(stack, 'B', { description: { ...goodQueue(), retentionDays: 14, dlqRetentionDays: 7 }, visibilityTimeout }),
    ).toThrow(/dlqRetentionDays/);
    expect(() => new ProviderQueue(stack, 'D', { description: { ...goodQueue(), retentionDays: 14, dlqRetentionDays: 14 }, visibilityTimeout })).not.toThrow();
    expect(() => new ProviderQueue(stack, 'C', { description: goodQueue(), visibilityTimeout })).not.toThrow();
  });

  it(`ProviderConsumer refuses a queue whose visibility timeout is under ${VISIBILITY_TIMEOUT_FACTOR}x its timeout`, () => {
    const stack = new Stack();
    const consumer = consumerOf(firstQueue());
    // Visibility equal to the function timeout: the classic double-delivery misconfiguration.
    const shortQueue = new ProviderQueue(stack, 'Q', {
      description: firstQueue(),
      visibilityTimeout: Duration.seconds(consumer.timeoutSeconds),
    });
    expect(() => new ProviderConsumer(stack, 'C', { description: consumer, queue: shortQueue })).toThrow(/visibility timeout/);
  });

  it('rejects a schedule rate that is not a whole number of minutes, at least 1', () => {
    for (const value of ['0', '1.5', '90s', '-1']) {
      expect(() => synthGateway({ context: { schedulerRateMinutes: value } }), value).toThrow(/schedulerRateMinutes must be a whole number/);
    }
  });

  it('RenewalGatewayStack refuses a schedule rate for a function that does not run on a schedule', () => {
    expect(() => new RenewalGatewayStack(new App(), 'X', { stage: 'x', scheduleRateMinutes: { intake: 5 } })).toThrow(
      /does not run on a schedule/,
    );
  });

  it('FunctionSchedule accepts whole minutes only, and needs a rate', () => {
    // Skips esbuild: only the schedule's checks and its rule are under test here.
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const scheduler = functions.find((f) => f.runsEvery);
    const status = functions.find((f) => f.id === 'status');
    if (!scheduler || !status) throw new Error('system.ts describes no scheduled function or no status function');
    const target = new GatewayFunction(stack, 'F', { description: scheduler });
    for (const seconds of [30, 90]) {
      expect(() => new FunctionSchedule(stack, `R${seconds}`, { function: target, rate: Duration.seconds(seconds) }), `${seconds} s`).toThrow(
        /whole minutes, at least 1/,
      );
    }
    expect(() => new FunctionSchedule(stack, 'Age', { function: target, maxEventAge: Duration.hours(7) })).toThrow(/maxEventAge/);
    const unscheduled = new GatewayFunction(stack, 'G', { description: status });
    expect(() => new FunctionSchedule(stack, 'None', { function: unscheduled })).toThrow(/give a rate or describe runsEvery/);
    const hourly = new FunctionSchedule(stack, 'Hourly', { function: target, rate: Duration.minutes(60) });
    expect(stack.resolve((hourly.rule.node.defaultChild as { scheduleExpression?: string }).scheduleExpression)).toBe('rate(1 hour)');
  });

  it('RenewalTable refuses an index described twice', () => {
    const index = { name: 'x', partitionKey: 'a', sortKey: 'b' };
    expect(() => new RenewalTable(new Stack(), 'T', { description: { ...system.table, indexes: [index, index] } })).toThrow(
      /described twice/,
    );
  });
});

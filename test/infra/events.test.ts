/**
 * CDK assertions for events (docs/architecture.md#events-the-table-stream-is-the-outbox): the
 * table stream, the events function and its event source mapping (filter, bisect, retries,
 * on-failure queue), the bus and the PutEvents grant, the outcome alarms and the dashboard.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SETTINGS } from '../../infra/settings';
import { EVENT_BUS_NAME_ENV, METRICS_NAMESPACE, functionDescription } from '../../shared/system';
import { getAtt, logicalId, ref, resource, synthGateway, type SynthesizedGateway } from './synth';

let g: SynthesizedGateway;
beforeAll(() => {
  g = synthGateway();
});
afterAll(() => g.dispose());

const eventsFn = () => {
  const fn = g.stack.functions.get('events');
  if (!fn) throw new Error('no events function');
  return fn;
};

describe('events', () => {
  it('the table has a stream with old and new images', () => {
    const table = resource(g.json, logicalId(g.stack, g.stack.table.table), 'AWS::DynamoDB::Table');
    expect(table.Properties?.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('the events function reads the stream: renewal items only, partial failures, bisect, retries, on-failure queue', () => {
    const stream = functionDescription('events').readsTableStream;
    g.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(logicalId(g.stack, eventsFn().fn)),
      EventSourceArn: getAtt(logicalId(g.stack, g.stack.table.table), 'StreamArn'),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: stream?.batchSize,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: EVENT_SETTINGS.retryAttempts,
      MaximumRecordAgeInSeconds: EVENT_SETTINGS.maxRecordAgeHours * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: getAtt(logicalId(g.stack, g.stack.events.failureQueue), 'Arn') } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { sk: { S: ['RENEWAL'] } } } }) }] },
    });
    const failureQueue = resource(g.json, logicalId(g.stack, g.stack.events.failureQueue), 'AWS::SQS::Queue');
    expect(failureQueue.Properties?.SqsManagedSseEnabled).toBe(true);
  });

  it('a bus per stage, named after the stack; the function gets its name and PutEvents on it alone', () => {
    const busId = logicalId(g.stack, g.stack.events.bus);
    const bus = resource(g.json, busId, 'AWS::Events::EventBus');
    expect(bus.Properties?.Name).toBe(`${g.stack.stackName}-events`);
    const fn = resource(g.json, logicalId(g.stack, eventsFn().fn), 'AWS::Lambda::Function');
    expect((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables[EVENT_BUS_NAME_ENV]).toEqual(ref(busId));
    g.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(logicalId(g.stack, eventsFn().role))],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: 'events:PutEvents', Resource: getAtt(busId, 'Arn') })]) },
    });
    // No other function may put events but the delivery function (endpoint.disabled).
    const putters = Object.values(g.json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties).includes('events:PutEvents'))
      .map((r) => JSON.stringify(r.Properties?.Roles));
    const deliveryRole = g.stack.functions.get('delivery')?.role;
    expect(deliveryRole).toBeDefined();
    expect(putters.sort()).toEqual([JSON.stringify([ref(logicalId(g.stack, eventsFn().role))]), JSON.stringify([ref(logicalId(g.stack, deliveryRole ?? eventsFn().role))])].sort());
  });

  it('alarms on needs_attention, on the failure rate, on stream failures and on a stream falling behind', () => {
    const metricAlarm = (metricName: string) =>
      g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'renewal-gateway' }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    metricAlarm('RenewalsNeedingAttention');
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: EVENT_SETTINGS.failureRateThreshold,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(finished > 0, FILL(failed, 0) / finished, 0)' }),
        Match.objectLike({ Id: 'failed', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'RenewalsFailed', Namespace: METRICS_NAMESPACE }) }) }),
      ]),
    });
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(logicalId(g.stack, g.stack.events.failureQueue), 'QueueName') }],
    });
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: ref(logicalId(g.stack, eventsFn().fn)) }],
    });
  });

  it('a dashboard per stage: outcomes by provider × status × error class, latency, failure rate, queue depths, the stream', () => {
    const [dashboard, ...others] = Object.values(g.json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(others).toEqual([]);
    expect(dashboard?.Properties?.DashboardName).toBe(`${g.stack.stackName}-outcomes`);
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const needle of ['RenewalsCompleted', 'errorClass,provider,service,status', 'AttemptLatency', 'RenewalsFailed', 'RenewalsNeedingAttention', 'IteratorAge', 'ApproximateNumberOfMessagesVisible']) {
      expect(body, needle).toContain(needle);
    }
    for (const q of g.stack.queues.values()) expect(body).toContain(logicalId(g.stack, q.queue));
  });
});

/**
 * CDK assertions for push delivery (docs/architecture.md#push-delivery-to-endpoints): the delivery
 * queue and its DLQ, the delivery function's event source mapping, who may send to the queue, the
 * bus grant for endpoint.disabled, the alarms and the dashboard widgets.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_QUEUE, DELIVERY_SLOW_QUEUE, EVENT_BUS_NAME_ENV, METRICS_NAMESPACE, functionDescription, visibilityTimeoutFor } from '../../shared/system';
import { getAtt, logicalId, ref, resource, synthGateway, type SynthesizedGateway } from './synth';

let g: SynthesizedGateway;
beforeAll(() => {
  g = synthGateway();
});
afterAll(() => g.dispose());

const fn = (id: 'delivery' | 'events' | 'operator') => {
  const f = g.stack.functions.get(id);
  if (!f) throw new Error(`no ${id} function`);
  return f;
};
const env = (id: 'delivery' | 'events' | 'operator') =>
  (resource(g.json, logicalId(g.stack, fn(id).fn), 'AWS::Lambda::Function').Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

describe('push delivery', () => {
  it('a delivery queue with its own DLQ: encrypted, 14 days, 5 receives, visibility 6x the function timeout', () => {
    const queueId = logicalId(g.stack, g.stack.delivery.queue);
    const dlqId = logicalId(g.stack, g.stack.delivery.deadLetterQueue);
    const queue = resource(g.json, queueId, 'AWS::SQS::Queue');
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: DELIVERY_QUEUE.retentionDays * 86_400,
      VisibilityTimeout: visibilityTimeoutFor(functionDescription('delivery')),
      RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId, 'Arn'), maxReceiveCount: DELIVERY_QUEUE.maxReceiveCount },
    });
    expect(resource(g.json, dlqId, 'AWS::SQS::Queue').Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: DELIVERY_QUEUE.dlqRetentionDays * 86_400 });
  });

  it('the delivery function consumes it with partial batch failures and capped concurrency', () => {
    const mapping = functionDescription('delivery').deliversEvents;
    g.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(logicalId(g.stack, fn('delivery').fn)),
      EventSourceArn: getAtt(logicalId(g.stack, g.stack.delivery.queue), 'Arn'),
      BatchSize: mapping?.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: mapping?.maximumConcurrency },
    });
    const lambda = resource(g.json, logicalId(g.stack, fn('delivery').fn), 'AWS::Lambda::Function');
    expect(lambda.Properties?.Timeout).toBe(functionDescription('delivery').timeoutSeconds);
  });

  it('events (fan-out), operator (replay) and delivery (retries) get the queue URL and may send to it; delivery may put endpoint.disabled on the bus', () => {
    const queueId = logicalId(g.stack, g.stack.delivery.queue);
    for (const id of ['delivery', 'events', 'operator'] as const) {
      expect(env(id)[DELIVERY_QUEUE.urlEnv], id).toEqual(ref(queueId));
      g.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [ref(logicalId(g.stack, fn(id).role))],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: Match.arrayWith(['sqs:SendMessage']), Resource: getAtt(queueId, 'Arn') })]) },
      });
    }
    const busId = logicalId(g.stack, g.stack.events.bus);
    expect(env('delivery')[EVENT_BUS_NAME_ENV]).toEqual(ref(busId));
    g.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(logicalId(g.stack, fn('delivery').role))],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: 'events:PutEvents', Resource: getAtt(busId, 'Arn') })]) },
    });
  });

  it('a slow lane: its own queue and DLQ with the same conventions, consumed by the delivery function with at most 2 invocations', () => {
    const queueId = logicalId(g.stack, g.stack.delivery.slowQueue);
    const dlqId = logicalId(g.stack, g.stack.delivery.slowDeadLetterQueue);
    expect(queueId).not.toBe(logicalId(g.stack, g.stack.delivery.queue));
    expect(resource(g.json, queueId, 'AWS::SQS::Queue').Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: DELIVERY_SLOW_QUEUE.retentionDays * 86_400,
      VisibilityTimeout: visibilityTimeoutFor(functionDescription('delivery')),
      RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId, 'Arn'), maxReceiveCount: DELIVERY_SLOW_QUEUE.maxReceiveCount },
    });
    expect(resource(g.json, dlqId, 'AWS::SQS::Queue').Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: DELIVERY_SLOW_QUEUE.dlqRetentionDays * 86_400 });
    const mapping = functionDescription('delivery').deliversEvents;
    expect(mapping?.slowMaximumConcurrency).toBe(2);
    g.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(logicalId(g.stack, fn('delivery').fn)),
      EventSourceArn: getAtt(queueId, 'Arn'),
      BatchSize: mapping?.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: mapping?.slowMaximumConcurrency },
    });
    // The delivery function may consume it.
    g.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(logicalId(g.stack, fn('delivery').role))],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: Match.arrayWith(['sqs:ReceiveMessage', 'sqs:DeleteMessage']), Resource: getAtt(queueId, 'Arn') })]) },
    });
  });

  it('events (fan-out of slow endpoints) and delivery (forwards, retries) get the slow lane URL and may send to it; the operator does not', () => {
    const queueId = logicalId(g.stack, g.stack.delivery.slowQueue);
    for (const id of ['delivery', 'events'] as const) {
      expect(env(id)[DELIVERY_SLOW_QUEUE.urlEnv], id).toEqual(ref(queueId));
      g.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [ref(logicalId(g.stack, fn(id).role))],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: Match.arrayWith(['sqs:SendMessage']), Resource: getAtt(queueId, 'Arn') })]) },
      });
    }
    expect(env('operator')[DELIVERY_SLOW_QUEUE.urlEnv]).toBeUndefined();
  });

  it('alarms on messages in the slow lane DLQ, and the dashboard shows the slow lane', () => {
    const dlqId = logicalId(g.stack, g.stack.delivery.slowDeadLetterQueue);
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(dlqId, 'QueueName') }],
      Threshold: 0,
    });
    const [dashboard] = Object.values(g.json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const needle of [logicalId(g.stack, g.stack.delivery.slowQueue), dlqId]) expect(body, needle).toContain(needle);
  });

  it('alarms on deliveries failing, on deliveries given up, on the DLQ and on the function erring', () => {
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: 'EventDeliveriesFailed',
      Dimensions: [{ Name: 'service', Value: 'renewal-gateway' }],
      Threshold: 0,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: METRICS_NAMESPACE, MetricName: 'EventDeliveriesDeadLettered', Threshold: 0 });
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(logicalId(g.stack, g.stack.delivery.deadLetterQueue), 'QueueName') }],
    });
    g.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(logicalId(g.stack, fn('delivery').fn)) }],
    });
  });

  it('the dashboard shows deliveries per endpoint, time to done and the delivery queue', () => {
    const [dashboard] = Object.values(g.json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const needle of ['EventDeliveries', 'endpoint,outcome,service', 'EventDeliveriesFailed', 'TimeToDone', logicalId(g.stack, g.stack.delivery.queue), logicalId(g.stack, g.stack.delivery.deadLetterQueue)]) {
      expect(body, needle).toContain(needle);
    }
  });
});

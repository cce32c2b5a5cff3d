/**
 * Nothing accepted is lost (docs/architecture.md#nothing-accepted-is-lost), against DynamoDB Local
 * and the project's SQS endpoint: a send that fails withdraws the record and answers 503; a
 * renewal stored whose send was lost is queued again by a repeat, once it is old enough that the
 * first send cannot still be under way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startSqsServer, type SqsServer } from '../../local/sqs/server';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { SqsRenewalQueue } from '../../shared/adapters/queue';
import { acceptRenewal, RESEND_AFTER_MS } from '../../shared/intake/accept';
import { newRenewalRecord } from '../../shared/domain/renewal';
import { HttpError } from '../../shared/http/problem';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let store: RenewalStore;
let sqsServer: SqsServer;
let sqs: SQSClient;
let queueUrl: string;
const logger = new Logger({ logLevel: 'SILENT' });

beforeAll(async () => {
  const t = await createRenewalTable('accept');
  dynamo = t.dynamo;
  store = new RenewalStore(dynamo, t.tableName);
  sqsServer = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'accept' }))).QueueUrl ?? '';
});
afterAll(async () => {
  sqs?.destroy();
  await sqsServer?.stop();
  dynamo?.destroy();
});

const depth = async () =>
  Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages);
const request = (email: string) => ({ provider: 'pressone', operation: 'renew', subscription: email, params: {} }) as const;

describe('accepting a renewal', () => {
  it('answers 503 and keeps nothing when the message cannot be queued', async () => {
    const broken = new SqsRenewalQueue(sqs, `${sqsServer.endpoint}/000000000000/no-such-queue`);
    const error = await acceptRenewal(request('lost@example.com'), 'key-broken', { store, queues: { pressone: broken }, logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    const id = newRenewalRecord(request('lost@example.com'), 'key-broken', new Date()).id;
    expect(await store.get(id)).toBeUndefined();
    // The upstream's retry with the same key starts clean and is accepted.
    const retry = await acceptRenewal(request('lost@example.com'), 'key-broken', { store, queues: { pressone: new SqsRenewalQueue(sqs, queueUrl) }, logger });
    expect(retry.httpStatus).toBe(202);
  });

  it('queues again a stored renewal whose send was lost, once it is old enough', async () => {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    const queue = new SqsRenewalQueue(sqs, queueUrl);
    const created = new Date();
    // A crash between storing and sending: the record exists, no message does.
    await store.create(newRenewalRecord(request('crash@example.com'), 'key-crash', created));
    const deps = (at: number) => ({ store, queues: { pressone: queue }, logger, now: () => new Date(at) });

    const soon = await acceptRenewal(request('crash@example.com'), 'key-crash', deps(created.getTime() + 1_000));
    expect(soon.httpStatus).toBe(200);
    expect(await depth()).toBe(0);

    const later = await acceptRenewal(request('crash@example.com'), 'key-crash', deps(created.getTime() + RESEND_AFTER_MS + 1_000));
    expect(later).toMatchObject({ httpStatus: 200, renewal: { status: 'queued' } });
    expect(await depth()).toBe(1);
  });
});

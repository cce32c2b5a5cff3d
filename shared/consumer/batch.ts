/**
 * The SQS batch side of a consumer: parses each record at the boundary and reports partial batch
 * failures, so one bad or failing record never makes Lambda redeliver the others.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { queuedRenewalSchema } from '../domain/renewal';
import { processRenewal, type ConsumerDeps } from './engine';

export class PoisonMessageError extends Error {
  constructor(messageId: string, detail: string) {
    super(`message ${messageId} is not a queued renewal: ${detail}`);
    this.name = 'PoisonMessageError';
  }
}

export const createBatchHandler = (deps: ConsumerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        throw new PoisonMessageError(record.messageId, 'body is not JSON');
      }
      const parsed = queuedRenewalSchema.safeParse(body);
      if (!parsed.success) throw new PoisonMessageError(record.messageId, parsed.error.issues.map((i) => i.path.join('.')).join(', '));
      // The lease owner is this invocation and message: unique per attempt, visible in the record.
      await processRenewal(parsed.data, `${context.awsRequestId}/${record.messageId}`, deps);
    };
    // A batch where every record failed is reported like any other, not thrown.
    return processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  };
};

/**
 * Lambda entry of every provider consumer (its SQS queue → its provider → the renewal table).
 *
 * `process.env.GATEWAY_PROVIDER` is replaced by the consumer's provider when the function is
 * bundled (CONSUMER_PROVIDER in shared/system.ts), so the import below names one provider folder:
 * each consumer's bundle holds its own provider's code and no other, loaded on the first batch.
 */
import { consumerHandler } from '../../shared/consumer/lambda';
import { partOf, type CallPart } from '../../shared/providers/parts';

export const handler = await consumerHandler(process.env.GATEWAY_PROVIDER, async () =>
  partOf<CallPart>(String(process.env.GATEWAY_PROVIDER), 'call', await import(`../../shared/providers/${process.env.GATEWAY_PROVIDER}/call.ts`)),
);

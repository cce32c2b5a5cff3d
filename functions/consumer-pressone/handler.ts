/** Lambda entry: the pressone consumer (its SQS queue → pressone → the renewal table). */
import { consumerHandler } from '../../shared/consumer/lambda';

export const handler = await consumerHandler('pressone');

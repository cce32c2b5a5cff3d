/** Lambda entry: the digitalriver consumer (its SQS queue → digitalriver → the renewal table). */
import { consumerHandler } from '../../shared/consumer/lambda';

export const handler = await consumerHandler('digitalriver');

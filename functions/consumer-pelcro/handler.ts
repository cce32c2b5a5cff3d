/** Lambda entry: the pelcro consumer (its SQS queue → pelcro → the renewal table). */
import { consumerHandler } from '../../shared/consumer/lambda';

export const handler = await consumerHandler('pelcro');

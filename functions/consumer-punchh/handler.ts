/** Lambda entry: the punchh consumer (its SQS queue → punchh → the renewal table). */
import { consumerHandler } from '../../shared/consumer/lambda';

export const handler = await consumerHandler('punchh');

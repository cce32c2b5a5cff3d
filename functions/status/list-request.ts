/** The path and query of `GET /v1/subscriptions/{provider}/{subscriptionRef}/renewals`. */
import * as z from 'zod';
import { PROVIDERS } from '../../shared/system';

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});
// At most what a subscription reference can be (canonical `subscription`): a longer one would make
// the index key exceed DynamoDB's 2048 bytes, and the Query fail as a 500.
export const listPath = z.object({ provider: z.enum(PROVIDERS), subscriptionRef: z.string().min(1).max(320) });

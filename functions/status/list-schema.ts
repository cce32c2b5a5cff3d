/**
 * The path and query of the list route as zod schemas. The status function checks them by hand
 * (list-request.ts, to keep zod out of its bundle); test/unit/list-request.test.ts proves the hand
 * checks give word for word these schemas' answers, and openapi.json documents these schemas.
 * Never imported by a Lambda.
 */
import * as z from 'zod';
import { PROVIDERS } from '../../shared/system';
import { LIMIT, MAX_CURSOR, MAX_SUBSCRIPTION_REF } from './list-request';

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(LIMIT.min).max(LIMIT.max).default(LIMIT.default),
  cursor: z.string().min(1).max(MAX_CURSOR).optional(),
});
export const listPath = z.object({ provider: z.enum(PROVIDERS), subscriptionRef: z.string().min(1).max(MAX_SUBSCRIPTION_REF) });

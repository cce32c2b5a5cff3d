/**
 * Bulk retry (POST /v1/renewals/retry): the renewals of one inbox status (and a provider, and a
 * creation cut-off), oldest first, each retried as the single action does it. Bounded: one call
 * looks at most at BULK_RETRY_MAX renewals (well within the function's 30 s), then answers
 * `nextCursor`; sending the same body with that cursor goes on where it stopped, so a
 * script calls it until `nextCursor` is null. Renewals the retry does not apply to (an unknown last
 * outcome needs the operator's `providerState`, one at a time) are skipped and listed, and the
 * cursor moves past them, so they are not looked at again by the same run.
 */
import { HttpError } from '../http/problem';
import type { InboxReader } from '../adapters/renewal-store';
import { PROVIDERS, type Provider } from '../system';
import type { BulkRetryBody } from '../http/schemas/renewals';
import { retryRenewal, type ActionDeps } from './actions';

/** Renewals one call retries at most: each is a read, a write and a send (about 30 ms apiece in AWS). */
export const BULK_RETRY_MAX = 25;

export interface BulkRetryResult {
  readonly dryRun: boolean;
  /** dryRun: how many renewals match the filter now. */
  readonly count?: number;
  readonly retried?: number;
  readonly retriedIds?: readonly string[];
  readonly skipped?: ReadonlyArray<{ readonly id: string; readonly status: number; readonly reason: string }>;
  /** Send the same body with this cursor to go on; null when the filter is exhausted. */
  readonly nextCursor: string | null;
}

export const bulkRetry = async (
  body: BulkRetryBody,
  by: string,
  deps: ActionDeps & { readonly inbox: InboxReader },
): Promise<BulkRetryResult> => {
  const filter = {
    statuses: [body.filter.status],
    providers: body.filter.provider ? [body.filter.provider] : ([...PROVIDERS] as Provider[]),
    ...(body.filter.createdBefore ? { createdBefore: new Date(body.filter.createdBefore).toISOString() } : {}),
  };
  if (body.dryRun) return { dryRun: true, count: await deps.inbox.count(filter), nextCursor: null };
  const page = await deps.inbox.page(filter, { limit: BULK_RETRY_MAX, ...(body.cursor ? { cursor: body.cursor } : {}) });
  const retriedIds: string[] = [];
  const skipped: Array<{ id: string; status: number; reason: string }> = [];
  for (const record of page.items) {
    try {
      await retryRenewal(record.id, { note: body.note }, by, deps, { bulk: true });
      retriedIds.push(record.id);
    } catch (error) {
      if (!(error instanceof HttpError) || error.status >= 500) throw error;
      skipped.push({ id: record.id, status: error.status, reason: error.message });
    }
  }
  return { dryRun: false, retried: retriedIds.length, retriedIds, skipped, nextCursor: page.nextCursor ?? null };
};

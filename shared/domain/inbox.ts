/**
 * The operators' inbox (docs/architecture.md#indexes): a sparse index over the renewals that are
 * not finished or that need a person. A renewal carries the index's partition key,
 * `gsi4pk = INBOX#<status>`, while its status is one of INBOX_STATUSES, and loses it when it ends
 * well (`succeeded`, `accepted`), is cancelled, or an operator resolves it. Its sort key,
 * `gsi4sk = <provider>#<createdAt>#<id>`, is written once when it is created, so the writes that
 * change a status need not know the provider: oldest first per provider, and a provider is a
 * prefix of the key (read exactly, never filtered).
 */
import type { RenewalStatus } from './renewal';
import type { Provider } from '../system';

/**
 * Waiting or working (`queued`, `in_progress`, `retry_scheduled`: an operator looks for what is
 * stuck) and ended badly (`needs_attention`, `failed`: until retried, resolved or cancelled).
 * Not `succeeded`, `accepted`, `cancelled`: nothing is left to do, and indexing them would copy
 * every renewal ever made into the index.
 */
export const INBOX_STATUSES = ['queued', 'in_progress', 'retry_scheduled', 'needs_attention', 'failed'] as const satisfies readonly RenewalStatus[];
export type InboxStatus = (typeof INBOX_STATUSES)[number];
export const isInboxStatus = (s: RenewalStatus): s is InboxStatus => (INBOX_STATUSES as readonly RenewalStatus[]).includes(s);

export const INBOX_INDEX = 'inbox';
export const inboxPk = (status: InboxStatus): string => `INBOX#${status}`;
export const inboxSk = (provider: Provider, createdAt: string, id: string): string => `${provider}#${createdAt}#${id}`;

/** The part of an UpdateItem that keeps a renewal's inbox entry in step with its new status. */
export const inboxUpdate = (status: RenewalStatus): { readonly set?: string; readonly remove?: string; readonly values: Record<string, string> } =>
  isInboxStatus(status) ? { set: 'gsi4pk = :inboxPk', values: { ':inboxPk': inboxPk(status) } } : { remove: 'gsi4pk', values: {} };

/**
 * What the event-endpoint routes show of an endpoint. Pure (no SDK import), so the lazily loaded
 * route module (functions/operator/endpoints.ts) pulls no SDK module into its lazy graph.
 */
import type { EndpointRecord } from '../adapters/event-endpoints';
import { isSlow, maskSecret } from './policy';

/** An endpoint as the API shows it: its secrets masked. */
export const endpointView = (e: EndpointRecord, now: Date) => ({
  id: e.id,
  url: e.url,
  types: e.types ?? null,
  description: e.description ?? null,
  enabled: e.enabled,
  createdAt: e.createdAt,
  createdBy: e.createdBy,
  // Masked: the whole secret is only in the answers of creation and rotation.
  secrets: e.secrets.map((s) => ({ masked: maskSecret(s.secret), createdAt: s.createdAt, expiresAt: s.expiresAt ?? null, active: s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime() })),
  failingSince: e.failingSince ?? null,
  lastSuccessAt: e.lastSuccessAt ?? null,
  lastFailureAt: e.lastFailureAt ?? null,
  disabledAt: e.disabledAt ?? null,
  disabledReason: e.disabledReason ?? null,
  // While set and ahead: its deliveries travel on the slow lane (a call took longer than DELIVERY_SLOW_CALL_MS).
  slowUntil: isSlow(e, now) ? (e.slowUntil ?? null) : null,
});


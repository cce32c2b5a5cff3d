/** Punchh's drop-in route: `POST /v1/providers/punchh/subscriptions/renew` with Punchh's own body. */
import * as z from '../../zod';
import { amount } from '../../domain/numbers';
import { issuesToFieldErrors, type CanonicalRequest } from '../../domain/canonical';
import { checkCanonical } from '../../domain/canonical-check';
import type { NativePart } from '../parts';
import type { Normalizer } from '../types';
import { canonical as punchhCanonical } from './canonical';
import type { punchh } from './index';

/** Zod's default text for a missing field names a type; callers understand "is required" better. */
const required = { error: (issue: { readonly input?: unknown }) => (issue.input === undefined ? 'is required' : undefined) };

/** A zone is required: without one the instant (and so the term) would depend on Punchh's clock. */
const dateTime = () =>
  z.iso.datetime({
    offset: true,
    error: (issue) =>
      issue.input === undefined ? 'is required' : 'must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T00:00:00Z',
  });

/** The body Punchh itself takes; the drop-in route accepts exactly this. */
export const punchhRenewBody = z
  .strictObject({
    // "integer" with no documented width; a safe integer keeps it exact through JSON and Number().
    subscription_id: z.int(required).check(z.minimum(1, 'must be a positive integer')),
    start_time: dateTime(),
    end_time: dateTime(),
    // The price of one unit for this renewal; the canonical schema refuses a negative price.
    purchase_price: amount(required),
    new_plan_id: z.optional(z.int().check(z.minimum(1, 'must be a positive integer'))),
  })
  .check(
    z.refine(
      (b) => {
        const [start, end] = [Date.parse(b.start_time), Date.parse(b.end_time)];
        // An unreadable time already has its own error; the order is judged only between two instants.
        return Number.isNaN(start) || Number.isNaN(end) || end > start;
      },
      { path: ['end_time'], message: 'must be after start_time' },
    ),
  );
export type PunchhRenewBody = z.output<typeof punchhRenewBody>;

/** `POST /v1/providers/punchh/subscriptions/renew` with Punchh's own body. */
export const normalizePunchh: Normalizer = ({ body }) => {
  const parsed = punchhRenewBody.safeParse(body);
  if (!parsed.success) return { ok: false, errors: issuesToFieldErrors(parsed.error.issues) };
  const b = parsed.data;
  const canonical: CanonicalRequest = {
    provider: 'punchh',
    operation: 'renew',
    subscription: String(b.subscription_id),
    params: {
      startTime: b.start_time,
      endTime: b.end_time,
      purchasePrice: b.purchase_price,
      ...(b.new_plan_id !== undefined ? { newPlanId: b.new_plan_id } : {}),
    },
  };
  return checkCanonical(canonical, punchhCanonical);
};

export const native = { '/v1/providers/punchh/subscriptions/renew': normalizePunchh } satisfies NativePart<typeof punchh>;

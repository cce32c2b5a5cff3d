/** PressOne's drop-in route: `POST /v1/providers/pressone/renew-number` with PressOne's own body. */
import * as z from '../../zod';
import { issuesToFieldErrors, type CanonicalRequest } from '../../domain/canonical';
import { checkCanonical } from '../../domain/canonical-check';
import type { NativePart } from '../parts';
import type { Normalizer } from '../types';
import { canonical as pressoneCanonical } from './canonical';
import type { pressone } from './index';

/** The body PressOne itself takes; the drop-in route accepts exactly this. */
export const pressoneRenewBody = z.strictObject({
  email: z.email('must be the email the number was claimed with'),
});

export const normalizePressone: Normalizer = ({ body }) => {
  const parsed = pressoneRenewBody.safeParse(body);
  if (!parsed.success) return { ok: false, errors: issuesToFieldErrors(parsed.error.issues) };
  const canonical: CanonicalRequest = { provider: 'pressone', operation: 'renew', subscription: parsed.data.email, params: {} };
  return checkCanonical(canonical, pressoneCanonical);
};

export const native = { '/v1/providers/pressone/renew-number': normalizePressone } satisfies NativePart<typeof pressone>;

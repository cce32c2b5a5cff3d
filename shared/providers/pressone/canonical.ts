/** A canonical PressOne renewal: the subscription is the email the number was claimed with; no params. */
import * as z from '../../zod';
import type { CanonicalPart } from '../parts';
import type { pressone } from './index';

export const canonical = {
  subscription: z.email('must be the email the number was claimed with'),
  params: { renew: z.strictObject({}) },
} satisfies CanonicalPart<typeof pressone>;

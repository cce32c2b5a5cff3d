/** A canonical Digital River renewal setting: the subscription is DR's subId; one params schema per setting. */
import * as z from 'zod';
import { amount } from '../../domain/numbers';
import type { CanonicalPart } from '../parts';
import type { digitalriver } from './index';

export const canonical = {
  subscription: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be the Digital River subId'),
  params: {
    'renewal-type': z.strictObject({ autoRenewal: z.boolean() }),
    'renewal-product': z.strictObject({ renewalProductId: z.string().min(1) }),
    'renewal-quantity': z.strictObject({ renewalQuantity: z.number().int().min(1).max(2_147_483_647) }),
    'renewal-price': z.strictObject({ renewalUnitPrice: amount() }),
  },
} satisfies CanonicalPart<typeof digitalriver>;

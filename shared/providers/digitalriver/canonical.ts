/** A canonical Digital River renewal setting: the subscription is DR's subId; one params schema per setting. */
import * as z from '../../zod';
import { amount } from '../../domain/numbers';
import type { CanonicalPart } from '../parts';
import type { digitalriver } from './index';

export const canonical = {
  subscription: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be the Digital River subId')),
  params: {
    'renewal-type': z.strictObject({ autoRenewal: z.boolean() }),
    'renewal-product': z.strictObject({ renewalProductId: z.string().check(z.minLength(1)) }),
    'renewal-quantity': z.strictObject({ renewalQuantity: z.number().check(z.int(), z.minimum(1), z.maximum(2_147_483_647)) }),
    'renewal-price': z.strictObject({ renewalUnitPrice: amount() }),
  },
} satisfies CanonicalPart<typeof digitalriver>;

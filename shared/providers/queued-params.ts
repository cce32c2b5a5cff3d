/**
 * A queued renewal's params, checked again against the provider's canonical schema when the call
 * is built. The message was validated at intake; it is checked again because a message that does
 * not match the contract must not turn into a half-formed call. Errors name paths, never values
 * (params may hold a secret, such as Pelcro's customer JWT).
 */
import type * as z from '../zod';
import { issuesToFieldErrors } from '../domain/canonical';
import type { QueuedRenewal } from '../domain/renewal';

export const queuedParams = <S extends z.ZodMiniType>(renewal: QueuedRenewal, providerName: string, schema: S, expected?: `${string}/${string}`): z.output<S> => {
  // A message for another provider or operation is refused before its params are read.
  if (expected !== undefined && `${renewal.provider}/${renewal.operation}` !== expected) {
    throw new Error(`renewal ${renewal.id} is ${renewal.provider}/${renewal.operation}, not ${expected}`);
  }
  const parsed = schema.safeParse(renewal.params);
  if (!parsed.success) {
    const paths = issuesToFieldErrors(parsed.error.issues, ['params']).map((e) => e.path);
    throw new Error(`renewal ${renewal.id} has invalid ${providerName} params: ${paths.join(', ')}`);
  }
  return parsed.data;
};

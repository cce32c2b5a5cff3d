/**
 * The canonical request's checks (docs/architecture.md#canonical-request), loaded the first time
 * a request is validated: `parseCanonicalRequest` for any provider, a provider's native route for
 * its own (it passes its own canonical part, so validation stays synchronous there).
 */
import * as z from '../zod';
import { PROVIDERS } from '../system';
import type { FieldError } from '../http/problem';
import type { CanonicalPart } from '../providers/parts';
import { issuesToFieldErrors, OPERATIONS, OPERATIONS_BY_PROVIDER, type CanonicalRequest, type Operation, type ValidationResult } from './canonical';

const envelope = z.strictObject({
  provider: z.enum(PROVIDERS),
  operation: z.enum(OPERATIONS),
  subscription: z.string().check(z.minLength(1), z.maxLength(320)),
  params: z._default(z.record(z.string(), z.unknown()), {}),
  notBefore: z.optional(z.iso.datetime({ offset: true })),
});

/** Step one: the envelope, which names the provider whose part checks the rest. */
export const parseEnvelope = (input: unknown): ValidationResult<CanonicalRequest> => {
  const head = envelope.safeParse(input);
  if (!head.success) return { ok: false, errors: issuesToFieldErrors(head.error.issues) };
  const { provider, operation, subscription, params, notBefore } = head.data;
  return { ok: true, value: { provider, operation, subscription, params, ...(notBefore ? { notBefore } : {}) } };
};

/** Step two: the operation, subscription and params against the provider's canonical part. */
export const checkParams = (head: CanonicalRequest, part: CanonicalPart): ValidationResult<CanonicalRequest> => {
  const { provider, operation, subscription, params, notBefore } = head;
  const allowed: readonly Operation[] = OPERATIONS_BY_PROVIDER[provider];
  if (!allowed.includes(operation)) {
    return {
      ok: false,
      errors: [{ path: 'operation', message: `is not available for ${provider}; use one of: ${allowed.join(', ')}` }],
    };
  }
  const errors: FieldError[] = [];
  const sub = part.subscription.safeParse(subscription);
  if (!sub.success) errors.push(...issuesToFieldErrors(sub.error.issues, ['subscription']));

  const schema = (part.params as Readonly<Record<string, CanonicalPart['params'][never]>>)[operation];
  if (!schema) throw new Error(`${provider}'s canonical part has no params schema for ${operation}`);
  const parsedParams = schema.safeParse(params);
  if (!parsedParams.success) errors.push(...issuesToFieldErrors(parsedParams.error.issues, ['params']));
  if (errors.length > 0 || !parsedParams.success) return { ok: false, errors };

  return {
    ok: true,
    value: {
      provider,
      operation,
      subscription,
      params: parsedParams.data,
      ...(notBefore ? { notBefore } : {}),
    },
  };
};

/** Both steps, for a request of the provider whose canonical part is given (a native route's own). */
export const checkCanonical = (input: unknown, part: CanonicalPart): ValidationResult<CanonicalRequest> => {
  const head = parseEnvelope(input);
  return head.ok ? checkParams(head.value, part) : head;
};

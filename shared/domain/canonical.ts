/**
 * The canonical renewal request (docs/architecture.md#canonical-request) and its validation.
 *
 * Validation runs in two steps so that every error names the field the caller wrote: first the
 * envelope (provider, operation, subscription, notBefore), then the params for that provider and
 * operation, with paths prefixed by `params.`. The provider's schemas live in its folder
 * (`shared/providers/<id>/canonical.ts`) and are loaded, hence built, the first time a request
 * names that provider; nothing here builds a schema when the module loads.
 */
import type * as CanonicalCheckModule from './canonical-check';
import type * as LoadCanonicalModule from '../providers/load-canonical';
import type * as z from '../zod';
import { REGISTRY, type RegisteredProvider } from '../providers/registry';
import type { Provider } from '../system';
import type { FieldError } from '../http/problem';

/** Every canonical operation, as the providers declare them. */
export type Operation = RegisteredProvider['operations'][number];
export const OPERATIONS: readonly [Operation, ...Operation[]] = [...new Set(REGISTRY.flatMap((p): readonly Operation[] => p.operations))] as [
  Operation,
  ...Operation[],
];

export const OPERATIONS_BY_PROVIDER = Object.fromEntries(REGISTRY.map((p) => [p.id, p.operations])) as {
  readonly [P in RegisteredProvider as P['id']]: P['operations'];
};

export interface CanonicalRequest {
  readonly provider: Provider;
  readonly operation: Operation;
  readonly subscription: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly notBefore?: string;
  /** When the renewal must have happened by: no retry is scheduled past it (docs/architecture.md#deadlines). */
  readonly deadline?: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export const issuesToFieldErrors = (issues: readonly z.core.$ZodIssue[], prefix: readonly (string | number)[] = []): FieldError[] =>
  issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return { path: [...prefix, ...issue.path, ...issue.keys].map(String).join('.'), message: 'is not a known field' };
    }
    return { path: path || '(body)', message: issue.message };
  });

/** Validates an untrusted value as a canonical request; every error names its field. */
let checks: Promise<[typeof CanonicalCheckModule, typeof LoadCanonicalModule]> | undefined;
const loadChecks = () =>
  // Stryker disable next-line StringLiteral: an import path emptied resolves to the folder itself, which crashes the test runner instead of failing a test
  (checks ??= Promise.all([import('./canonical-check'), import('../providers/load-canonical')]).catch((error: unknown) => {
    checks = undefined;
    throw error;
  }));

export const parseCanonicalRequest = async (input: unknown): Promise<ValidationResult<CanonicalRequest>> => {
  const [{ parseEnvelope, checkParams }, { loadCanonical }] = await loadChecks();
  const head = parseEnvelope(input);
  if (!head.ok) return head;
  return checkParams(head.value, await loadCanonical(head.value.provider));
};

/** Params that are secrets (the providers declare them): carried in the queue message, never stored, hashed or returned. */
// Stryker disable next-line ArrayDeclaration: a provider without secret params declaring one named by Stryker's placeholder changes only a request carrying that param
export const SECRET_PARAMS: readonly string[] = REGISTRY.flatMap((p): readonly string[] => ('secretParams' in p ? p.secretParams : []));

export const withoutSecrets = (params: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(params).filter(([k]) => !SECRET_PARAMS.includes(k)));

/** Whether a request carries secret params (never stored: the renewal's hash does not cover them). */
export const hasSecretParams = (request: Pick<CanonicalRequest, 'params'>): boolean => Object.keys(request.params).some((k) => SECRET_PARAMS.includes(k));

/**
 * The path and query of `GET /v1/subscriptions/{provider}/{subscriptionRef}/renewals`.
 *
 * Checked by hand rather than with zod: these are the only checks the status function makes, and
 * zod's code is the largest part of a bundle that would otherwise not need it (the cold-start
 * target, README "Lambda bundles and cold-start module load"). The errors are word for word the
 * ones zod gave for the schemas this replaced (test/unit/list-request.test.ts proves it):
 *
 *     path:  z.object({ provider: z.enum(PROVIDERS), subscriptionRef: z.string().min(1).max(320) })
 *     query: z.strictObject({
 *              limit: z.coerce.number().int().min(1).max(100).default(20),
 *              cursor: z.string().min(1).max(2048).optional(),
 *            })
 */
import type { FieldError } from '../../shared/http/problem';
import { PROVIDERS, type Provider } from '../../shared/system';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldError[] };

export interface ListPath {
  readonly provider: Provider;
  readonly subscriptionRef: string;
}

export interface ListQuery {
  readonly limit: number;
  readonly cursor?: string;
}

type Input = Readonly<Record<string, unknown>>;

export const LIMIT = { min: 1, max: 100, default: 20 } as const;
/** The longest cursor accepted (the store's own check decides whether it is one it returned). */
export const MAX_CURSOR = 2048;
// At most what a subscription reference can be (canonical `subscription`): a longer one would make
// the index key exceed DynamoDB's 2048 bytes, and the Query fail as a 500.
export const MAX_SUBSCRIPTION_REF = 320;

/** What zod calls the type of a value it did not expect (its `parsedType`, as its English messages print it). */
const typeName = (value: unknown): string => {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? 'number' : String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
};

const expected = (type: string, value: unknown): string => `Invalid input: expected ${type}, received ${typeName(value)}`;

/** A string of `min` to `max` characters, as `z.string().min(min).max(max)` checks it. */
const stringErrors = (value: unknown, min: number, max: number): string[] => {
  if (typeof value !== 'string') return [expected('string', value)];
  return [
    ...(value.length < min ? [`Too small: expected string to have >=${min} characters`] : []),
    ...(value.length > max ? [`Too big: expected string to have <=${max} characters`] : []),
  ];
};

/** `limit`, as `z.coerce.number().int().min(1).max(100)` checks it. */
const limitErrors = (n: number): string[] => {
  if (!Number.isFinite(n)) return [expected('number', n)];
  if (!Number.isInteger(n)) return ['Invalid input: expected int, received number'];
  return [
    ...(n > Number.MAX_SAFE_INTEGER ? [`Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`] : []),
    ...(n < Number.MIN_SAFE_INTEGER ? [`Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`] : []),
    ...(n < LIMIT.min ? [`Too small: expected number to be >=${LIMIT.min}`] : []),
    ...(n > LIMIT.max ? [`Too big: expected number to be <=${LIMIT.max}`] : []),
  ];
};

const at = (prefix: string, field: string, messages: readonly string[]): FieldError[] => messages.map((message) => ({ path: `${prefix}.${field}`, message }));

export const parseListPath = (input: Input): Checked<ListPath> => {
  const { provider, subscriptionRef } = input;
  const known = (PROVIDERS as readonly unknown[]).includes(provider);
  const errors = [
    ...at('path', 'provider', known ? [] : [`Invalid option: expected one of ${PROVIDERS.map((p) => `"${p}"`).join('|')}`]),
    ...at('path', 'subscriptionRef', stringErrors(subscriptionRef, 1, MAX_SUBSCRIPTION_REF)),
  ];
  if (errors.length > 0 || typeof subscriptionRef !== 'string') return { ok: false, errors };
  return { ok: true, value: { provider: provider as Provider, subscriptionRef } };
};

export const parseListQuery = (input: Input): Checked<ListQuery> => {
  const { limit: rawLimit, cursor } = input;
  const limit = rawLimit === undefined ? LIMIT.default : Number(rawLimit);
  const unknownKeys: string[] = [];
  for (const key in input) if (key !== 'limit' && key !== 'cursor') unknownKeys.push(key);
  const errors = [
    ...at('query', 'limit', rawLimit === undefined ? [] : limitErrors(limit)),
    ...at('query', 'cursor', cursor === undefined ? [] : stringErrors(cursor, 1, MAX_CURSOR)),
    // zod reported unknown keys as one issue after the fields' own; its path is every key, joined.
    ...(unknownKeys.length > 0 ? [{ path: ['query', ...unknownKeys].join('.'), message: 'is not a known field' }] : []),
  ];
  if (errors.length > 0 || (cursor !== undefined && typeof cursor !== 'string')) return { ok: false, errors };
  return { ok: true, value: { limit, ...(cursor === undefined ? {} : { cursor }) } };
};

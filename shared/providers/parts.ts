/**
 * The three code parts of a provider folder, each loaded only when a function first needs it
 * (docs/adding-a-provider.md): a consumer loads its own provider's `call.ts`, intake the
 * `native.ts` of the route it serves, validation the `canonical.ts` of the provider named.
 * Each part exports one constant named after the part, checked against the provider's declaration.
 */
import type * as z from '../zod';
import type { ProviderDeclaration } from './declaration';
import type { NativeRequest, Normalizer, ProviderModule } from './types';

/** `canonical.ts` → `export const canonical`: what a canonical request of this provider may hold. */
export interface CanonicalPart<D extends ProviderDeclaration = ProviderDeclaration> {
  /** The provider's subscription reference (docs/architecture.md#canonical-request). */
  readonly subscription: z.ZodMiniType<string>;
  /** The params of each of its operations (strict: unknown fields are refused). */
  readonly params: { readonly [Op in D['operations'][number]]: z.ZodMiniType<Readonly<Record<string, unknown>>> };
}

/** `native.ts` → `export const native`: the normalizer of each native route, by path. */
export type NativePart<D extends ProviderDeclaration = ProviderDeclaration> = { readonly [Path in D['routes'][number]['path']]: Normalizer };

/** `call.ts` → `export const call`: the outgoing call, the answer's classification, the period and confirmation rules. */
export type CallPart = ProviderModule;

export const PART_FILES = { canonical: 'canonical.ts', native: 'native.ts', call: 'call.ts', openapi: 'openapi.ts' } as const;
export type PartName = keyof typeof PART_FILES;

/** The named export of a loaded part, or an error naming the piece that is missing. */
export const partOf = <T>(provider: string, part: PartName, module: unknown): T => {
  const value: unknown = typeof module === 'object' && module !== null ? (module as Record<string, unknown>)[part] : undefined;
  if (typeof value !== 'object' || value === null) {
    throw new Error(`provider ${provider}: shared/providers/${provider}/${PART_FILES[part]} does not export \`${part}\``);
  }
  return value as T;
};

/**
 * A loader that imports each key's module once per process: later calls get the settled promise,
 * so they cost no import and resolve in a predictable number of steps. A failed load is retried.
 */
export const loadOnce = <K, T>(load: (key: K) => Promise<T>): ((key: K) => Promise<T>) => {
  const loaded = new Map<K, Promise<T>>();
  return (key) => {
    let promise = loaded.get(key);
    if (!promise) {
      promise = load(key);
      loaded.set(key, promise);
      promise.catch(() => loaded.delete(key));
    }
    return promise;
  };
};

/** One native route as the OpenAPI document describes it (`npm run openapi`). */
export interface NativeRouteDoc {
  readonly summary: string;
  readonly description: string;
  /** The body schema the route's normalizer parses (the same zod schema, not a copy). */
  readonly body: z.ZodMiniType;
  /** Query parameters the normalizer reads (an object schema), if any. */
  readonly query?: z.ZodMiniObject;
  /** Path parameters beyond the route's own literal segments, if any. */
  readonly path?: z.ZodMiniObject;
  /** Headers the normalizer reads besides the signature headers, with what each carries. */
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly required: boolean }>>;
  /** A request the normalizer accepts: the OpenAPI test runs it through the normalizer. */
  readonly example: NativeRequest;
}

/**
 * `openapi.ts` → `export const openapi`: the provider as the OpenAPI document shows it. Never
 * bundled into a Lambda: only `npm run openapi` and its test import it.
 */
export interface OpenApiPart<D extends ProviderDeclaration = ProviderDeclaration> {
  /** Each native route, by path. */
  readonly routes: { readonly [Path in D['routes'][number]['path']]: NativeRouteDoc };
  /** A canonical request (`POST /v1/renewals`) for each operation, accepted as it stands. */
  readonly canonicalExamples: { readonly [Op in D['operations'][number]]: unknown };
}

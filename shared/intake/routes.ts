/**
 * How each write route's body becomes a canonical request. `POST /v1/renewals` takes it in
 * canonical form; every other write route is a provider's own (its declaration), served by its
 * provider's `native.ts`, which validates the provider's own request first (errors name the
 * provider's fields), then normalizes. A provider's normalizers are loaded the first time one of
 * its routes is served.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseCanonicalRequest, type CanonicalRequest, type ValidationResult } from '../domain/canonical';
import { loadNative } from '../providers/load-native';
import { REGISTRY } from '../providers/registry';
import type { NativeRequest } from '../providers/types';
import { routeKey, type Provider } from '../system';

/** Validates and normalizes one write route's request. */
export type IntakeRoute = (request: NativeRequest) => Promise<ValidationResult<CanonicalRequest>>;

const nativeRoute =
  (provider: Provider, path: string): IntakeRoute =>
  async (request) => {
    const normalize = (await loadNative(provider))[path];
    if (!normalize) throw new Error(`provider ${provider}: native.ts has no normalizer for ${path}`);
    return normalize(request);
  };

export const INTAKE_ROUTES: Readonly<Record<string, IntakeRoute>> = {
  'POST /v1/renewals': ({ body }) => parseCanonicalRequest(body),
  ...Object.fromEntries(REGISTRY.flatMap((p) => p.routes.map((r) => [routeKey(r), nativeRoute(p.id, r.path)]))),
};

const lowercased = (headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

export const nativeRequest = (event: APIGatewayProxyEventV2, body: unknown): NativeRequest => ({
  body,
  query: event.queryStringParameters ?? {},
  path: event.pathParameters ?? {},
  headers: lowercased(event.headers),
});

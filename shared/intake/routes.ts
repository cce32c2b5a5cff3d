/**
 * How each write route's body becomes a canonical request. Provider-native routes validate the
 * provider's own request first (errors name the provider's fields), then normalize.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseCanonicalRequest } from '../domain/canonical';
import { normalizePressone } from '../providers/pressone';
import { normalizePelcroCore, normalizePelcroSdk } from '../providers/pelcro';
import { normalizePunchh } from '../providers/punchh';
import { normalizeDigitalRiver } from '../providers/digitalriver';
import type { NativeRequest, Normalizer } from '../providers/types';

export const INTAKE_ROUTES: Readonly<Record<string, Normalizer>> = {
  'POST /v1/renewals': ({ body }) => parseCanonicalRequest(body),
  'POST /v1/providers/pressone/renew-number': normalizePressone,
  'POST /v1/providers/pelcro/subscription/renew': normalizePelcroSdk,
  'POST /v1/providers/pelcro/core/subscriptions/renew': normalizePelcroCore,
  'POST /v1/providers/punchh/subscriptions/renew': normalizePunchh,
  'POST /v1/providers/digitalriver/subscriptions/{subId}/renewal-type': normalizeDigitalRiver('renewal-type'),
  'POST /v1/providers/digitalriver/subscriptions/{subId}/renewal-product': normalizeDigitalRiver('renewal-product'),
  'POST /v1/providers/digitalriver/subscriptions/{subId}/renewal-quantity': normalizeDigitalRiver('renewal-quantity'),
  'POST /v1/providers/digitalriver/subscriptions/{subId}/renewal-price': normalizeDigitalRiver('renewal-price'),
};

const lowercased = (headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

export const nativeRequest = (event: APIGatewayProxyEventV2, body: unknown): NativeRequest => ({
  body,
  query: event.queryStringParameters ?? {},
  path: event.pathParameters ?? {},
  headers: lowercased(event.headers),
});

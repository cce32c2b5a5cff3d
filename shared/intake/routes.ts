/**
 * How each write route's body becomes a canonical request. Provider-native routes validate the
 * provider's own body first (errors name the provider's fields), then normalize.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { issuesToFieldErrors, parseCanonicalRequest, type CanonicalRequest, type ValidationResult } from '../domain/canonical';
import { normalizePressone, pressoneRenewBody } from '../providers/pressone';

export type Normalizer = (body: unknown, event: APIGatewayProxyEventV2) => ValidationResult<CanonicalRequest>;

export const INTAKE_ROUTES: Readonly<Record<string, Normalizer>> = {
  'POST /v1/renewals': (body) => parseCanonicalRequest(body),
  'POST /v1/providers/pressone/renew-number': (body) => {
    const parsed = pressoneRenewBody.safeParse(body);
    if (!parsed.success) return { ok: false, errors: issuesToFieldErrors(parsed.error.issues) };
    return parseCanonicalRequest(normalizePressone(parsed.data));
  },
};

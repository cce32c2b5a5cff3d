/**
 * The canonical envelope's optional times and the guard against a provider part that lacks an
 * operation's schema (shared/domain/canonical-check.ts).
 */
import { describe, expect, it } from 'vitest';
import * as z from '../../shared/zod';
import { checkParams, parseEnvelope } from '../../shared/domain/canonical-check';
import { hasSecretParams, parseCanonicalRequest } from '../../shared/domain/canonical';
import type { CanonicalPart } from '../../shared/providers/parts';

const base = { provider: 'pressone', operation: 'renew', subscription: 'jane@example.com' } as const;

describe('a request deadline', () => {
  it('is kept as written, in UTC or with an offset', async () => {
    for (const deadline of ['2026-12-01T00:00:00Z', '2026-12-01T02:00:00+02:00']) {
      const head = parseEnvelope({ ...base, deadline });
      expect(head).toEqual({ ok: true, value: { ...base, params: {}, deadline } });
      const full = await parseCanonicalRequest({ ...base, deadline });
      expect(full.ok && full.value.deadline).toBe(deadline);
    }
  });

  it('must be a date-time', () => {
    const head = parseEnvelope({ ...base, deadline: 'tomorrow' });
    expect(head.ok ? [] : head.errors.map((e) => e.path)).toEqual(['deadline']);
  });
});

describe('a provider part without the schema of one of its operations', () => {
  it('is a programming error that names the provider and the operation', () => {
    const part = { subscription: z.string(), params: {} } as unknown as CanonicalPart;
    expect(() => checkParams({ ...base, params: {} }, part)).toThrow("pressone's canonical part has no params schema for renew");
  });
});

describe('a canonical Pelcro Core renewal charged automatically', () => {
  it('needs a sourceId, and says why', async () => {
    const r = await parseCanonicalRequest({
      provider: 'pelcro',
      operation: 'renew',
      subscription: '77',
      params: { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'API', collectionMethod: 'charge_automatically' },
    });
    expect(r.ok ? [] : r.errors).toEqual([{ path: 'params.sourceId', message: 'is required when collectionMethod is charge_automatically' }]);
  });
});

describe('hasSecretParams', () => {
  it('tells a request carrying a secret param (never stored) from one without', () => {
    expect(hasSecretParams({ params: { api: 'sdk', siteId: 7, planId: 12, customerToken: 'eyJ.x.y' } })).toBe(true);
    expect(hasSecretParams({ params: { api: 'sdk', siteId: 7, planId: 12 } })).toBe(false);
    expect(hasSecretParams({ params: {} })).toBe(false);
  });
});

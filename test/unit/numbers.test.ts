/**
 * Every money field, on every route that takes it, refuses numbers DynamoDB cannot store with a
 * 422 naming the field (issue 9, #4); the bounds are the ones the SDK's marshaller and DynamoDB
 * themselves draw.
 */
import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import { INTAKE_ROUTES } from '../../shared/intake/routes';
import { isStorableNumber, MAX_STORABLE, MIN_STORABLE_MAGNITUDE } from '../../shared/domain/numbers';

const OUT_OF_RANGE = [9007199254740992, 1e200, 1e-131, Number.MIN_VALUE];
const EDGES = [0, MIN_STORABLE_MAGNITUDE, 9.99, MAX_STORABLE];

const term = { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z' };
/** Route, the request carrying `value` in its money field, and the field's name in the caller's terms. */
const FIELDS: Array<[string, (value: number) => { body: unknown; path?: Record<string, string> }, string]> = [
  ['POST /v1/providers/digitalriver/subscriptions/{subId}/renewal-price', (v) => ({ body: { renewalUnitPrice: v }, path: { subId: 's1' } }), 'renewalUnitPrice'],
  ['POST /v1/providers/punchh/subscriptions/renew', (v) => ({ body: { subscription_id: 1, start_time: term.startTime, end_time: term.endTime, purchase_price: v } }), 'purchase_price'],
  ['POST /v1/renewals', (v) => ({ body: { provider: 'digitalriver', operation: 'renewal-price', subscription: 's1', params: { renewalUnitPrice: v } } }), 'params.renewalUnitPrice'],
  ['POST /v1/renewals', (v) => ({ body: { provider: 'punchh', operation: 'renew', subscription: '1', params: { ...term, purchasePrice: v } } }), 'params.purchasePrice'],
];

const errorsFor = async (route: string, request: { body: unknown; path?: Record<string, string> }) => {
  const normalize = INTAKE_ROUTES[route];
  if (!normalize) throw new Error(route);
  const r = await normalize({ body: request.body, path: request.path ?? {}, query: {}, headers: {} });
  return r.ok ? [] : r.errors.map((e) => e.path);
};

describe('numbers DynamoDB can store', () => {
  it.each(FIELDS)('%s refuses each out-of-range %s… naming the field, and accepts the edges', async (route, build, field) => {
    for (const v of OUT_OF_RANGE) expect(await errorsFor(route, build(v)), String(v)).toEqual([field]);
    for (const v of EDGES) expect(await errorsFor(route, build(v)), String(v)).toEqual([]);
  });

  it('draws the upper bound where the SDK marshaller does', () => {
    expect(() => marshall({ n: MAX_STORABLE })).not.toThrow();
    expect(() => marshall({ n: MAX_STORABLE + 1 })).toThrow(/MAX_SAFE_INTEGER/);
    expect(() => marshall({ n: 1e200 })).toThrow();
    expect(isStorableNumber(MAX_STORABLE)).toBe(true);
    expect(isStorableNumber(-MAX_STORABLE)).toBe(true);
    expect(isStorableNumber(MAX_STORABLE + 1)).toBe(false);
    expect(isStorableNumber(1e-130)).toBe(true);
    expect(isStorableNumber(1e-131)).toBe(false);
    expect(isStorableNumber(0)).toBe(true);
    expect(isStorableNumber(Number.NaN)).toBe(false);
  });
});

describe('a refused amount says which bound it crossed', () => {
  it.each(FIELDS)('%s: %s…', async (route, build, field) => {
    const messages = async (v: number) => {
      const normalize = INTAKE_ROUTES[route];
      if (!normalize) throw new Error(route);
      const r = await normalize({ body: build(v).body, path: build(v).path ?? {}, query: {}, headers: {} });
      return r.ok ? [] : r.errors.map((e) => `${e.path} ${e.message}`);
    };
    expect(await messages(1e200)).toEqual([`${field} must be at most 9007199254740991`]);
    expect(await messages(1e-131)).toEqual([`${field} must be 0 or at least 1e-130`]);
    expect(await messages(-1)).toEqual([`${field} must not be negative`]);
  });
});

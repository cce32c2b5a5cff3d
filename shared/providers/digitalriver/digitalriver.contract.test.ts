/**
 * Contract: a Digital River-native request, normalized, queued and built, is exactly the call
 * docs/providers.md describes: `POST {base}/v1/subscriptions/{subId}/renewal-…`, `Basic
 * base64(key:secret)` in the configured header, and DR's camelCase body with its types.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { normalizeDigitalRiver, type DigitalRiverOperation } from './native';
import { call as digitalriver } from './call';
import type { OutgoingRequest, ProviderConfig } from '../types';
import type { QueuedRenewal } from '../../domain/renewal';

const KEY = 'dr_dispatch_key';
const SECRET = 'dr_dispatch_secret';
const BASIC = `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`;
const configFor = (authHeader?: string, baseUrl = 'https://api.digitalriver.com'): ProviderConfig => ({
  baseUrl,
  secrets: { DIGITALRIVER_API_KEY: KEY, DIGITALRIVER_API_SECRET: SECRET },
  settings: { DIGITALRIVER_AUTH_HEADER: authHeader },
});

const call = (operation: DigitalRiverOperation, body: unknown, subId: string, cfg: ProviderConfig): OutgoingRequest => {
  const result = normalizeDigitalRiver(operation)({ body, query: {}, path: { subId }, headers: {} });
  if (!result.ok) throw new Error(`normalizer refused: ${JSON.stringify(result.errors)}`);
  const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', ...result.value };
  return digitalriver.buildRequest(renewal, cfg);
};
const jsonBody = (req: OutgoingRequest): Record<string, unknown> => JSON.parse(req.body ?? 'null') as Record<string, unknown>;

/** Each operation with a representative body and a check of the field's documented type. */
const OPERATIONS: Array<[DigitalRiverOperation, Record<string, unknown>, (v: unknown) => boolean]> = [
  ['renewal-type', { autoRenewal: false }, (v) => typeof v === 'boolean'],
  ['renewal-product', { renewalProductId: '5321623900' }, (v) => typeof v === 'string'],
  // int32
  ['renewal-quantity', { renewalQuantity: 3 }, (v) => typeof v === 'number' && Number.isInteger(v) && v <= 2_147_483_647],
  // double
  ['renewal-price', { renewalUnitPrice: 12.5 }, (v) => typeof v === 'number'],
];

const AUTH_MODES: Array<[string, string | undefined, string]> = [
  ['default (unset)', undefined, 'authorization'],
  ['authorization', 'authorization', 'authorization'],
  ['token (the reference’s header)', 'token', 'token'],
];

describe('Digital River: POST {base}/v1/subscriptions/{subId}/renewal-…', () => {
  const cases = OPERATIONS.flatMap(([operation, body, typed]) => AUTH_MODES.map(([mode, setting, header]) => [operation, mode, body, typed, setting, header] as const));

  it.each(cases)('%s with the %s auth header', (operation, _mode, body, typed, setting, header) => {
    const req = call(operation, body, 'sub_8675309', configFor(setting));
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`https://api.digitalriver.com/v1/subscriptions/sub_8675309/${operation}`);
    expect(new URL(req.url).search).toBe('');
    // Exactly one auth header: the configured one, holding Basic base64(key:secret).
    expect(req.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json', [header]: BASIC });

    const sent = jsonBody(req);
    expect(sent).toEqual(body);
    const [field] = Object.keys(body);
    expect(Object.keys(sent)).toEqual([field]);
    expect(typed(sent[field ?? ''])).toBe(true);
  });

  it('sends Basic base64(key:secret)', () => {
    const req = call('renewal-type', { autoRenewal: true }, 's1', configFor());
    const encoded = (req.headers.authorization ?? '').replace(/^Basic /, '');
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe(`${KEY}:${SECRET}`);
  });

  it('sends a whole-number price as a number', () => {
    const sent = jsonBody(call('renewal-price', { renewalUnitPrice: 10 }, 's1', configFor()));
    expect(sent.renewalUnitPrice).toBe(10);
  });

  it('keeps subIds with ".", "_" and "-" as they are', () => {
    expect(call('renewal-quantity', { renewalQuantity: 1 }, 'A.b_c-9', configFor()).url).toBe('https://api.digitalriver.com/v1/subscriptions/A.b_c-9/renewal-quantity');
  });

  it('URL-encodes a subId that needs it (intake refuses such ids; a queued message could still carry one)', () => {
    const renewal: QueuedRenewal = { v: 1, id: 'rnw_x', idempotencyKey: 'k', provider: 'digitalriver', operation: 'renewal-type', subscription: 'sub 1/2?x#y', params: { autoRenewal: true } };
    const req = digitalriver.buildRequest(renewal, configFor());
    expect(req.url).toBe('https://api.digitalriver.com/v1/subscriptions/sub%201%2F2%3Fx%23y/renewal-type');
    expect(new URL(req.url).pathname).toBe('/v1/subscriptions/sub%201%2F2%3Fx%23y/renewal-type');
  });

  it('keeps a base URL prefix and drops a trailing slash', () => {
    expect(call('renewal-type', { autoRenewal: true }, 's1', configFor(undefined, 'http://127.0.0.1:9300/dr/')).url).toBe(
      'http://127.0.0.1:9300/dr/v1/subscriptions/s1/renewal-type',
    );
  });
});

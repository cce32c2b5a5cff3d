/**
 * The local HTTP API builds the event API Gateway (HTTP API, payload format 2.0) would: repeated
 * query parameters and headers joined with commas, cookies apart, and a malformed path answered
 * with a 4xx problem document instead of a 500 (issue 9, #4 and #6).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startApiServer, type ApiServer } from '../../local/api-server';
import type { RouteDescription } from '../../shared/system';

let api: ApiServer;
let last: APIGatewayProxyEventV2 | undefined;

const ROUTES = [
  { method: 'POST', path: '/v1/things/{thingId}/do', functionId: 'intake', auth: 'webhook-signature' },
] as unknown as readonly RouteDescription[];

beforeAll(async () => {
  api = await startApiServer({
    port: 0,
    routes: ROUTES,
    handlers: {
      intake: {
        handler: async (event) => {
          last = event;
          return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
        },
        timeoutMs: 1_000,
      },
    },
  });
});
afterAll(async () => {
  await api?.stop();
});

/** Raw request: node:http sends each value of an array header as its own header line. */
const send = (path: string, headers: Record<string, string | string[]> = {}, body = '{}') =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    last = undefined;
    const req = request(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });

describe('the local API mirrors payload format 2.0', () => {
  it('joins a repeated query parameter with commas, as API Gateway does (not the last one)', async () => {
    expect((await send('/v1/things/t1/do?site_id=1&user_id=34&user_id=36')).status).toBe(200);
    expect(last?.queryStringParameters).toEqual({ site_id: '1', user_id: '34,36' });
    expect(last?.rawQueryString).toBe('site_id=1&user_id=34&user_id=36');
  });

  it('joins repeated headers with commas, including those Node keeps only once, and moves cookies apart', async () => {
    await send('/v1/things/t1/do', { 'idempotency-key': ['k1', 'k2'], authorization: ['Bearer a', 'Bearer b'], cookie: ['a=1; b=2', 'c=3'] });
    expect(last?.headers['idempotency-key']).toBe('k1,k2');
    expect(last?.headers.authorization).toBe('Bearer a,Bearer b');
    expect(last?.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(last?.headers.cookie).toBeUndefined();
  });

  it('keeps a parameter named like an object property as a plain value', async () => {
    await send('/v1/things/t1/do?__proto__=x&constructor=y&constructor=z');
    expect(Object.getPrototypeOf(last?.queryStringParameters)).toBe(Object.prototype);
    expect(Object.entries(last?.queryStringParameters ?? {})).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y,z'],
    ]);
  });

  it.each(['%', '%zz', '%E0%A4%A', 'ok%'])('answers a path parameter with malformed percent-encoding (%s) with a 400 naming it', async (segment) => {
    const res = await send(`/v1/things/${segment}/do`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, errors: [{ path: 'path.thingId', message: expect.any(String) }] });
    expect(last).toBeUndefined();
  });

  it('decodes well-formed percent-encoding in a path parameter', async () => {
    await send('/v1/things/jane%40example.com/do');
    expect(last?.pathParameters).toEqual({ thingId: 'jane@example.com' });
  });
});

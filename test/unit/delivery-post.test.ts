/**
 * The delivery function's POST (functions/delivery/post.ts): in AWS a host is refused when any
 * address it resolves to is not public (a public name pointing at 10.x, the metadata address, this
 * machine — DNS rebinding), and the connection goes to the address that was checked, with no second
 * lookup. Names are resolved by an injected resolver: no test needs real DNS or the internet.
 * Receivers are real HTTP(S) servers on 127.0.0.1; no assertion depends on how fast anything is.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AddressNotPublicError, checkedAddresses, checkedLookup, createHttpPost, type Resolve } from '../../functions/delivery/post';
import { loadDeliveryDeps } from '../../functions/delivery/app';
import { DELIVERY_QUEUE_URL_ENV } from '../../shared/delivery/queue';
import { createLogger } from '../../shared/logger';

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

/** A resolver answering from a table, counting its lookups; an unknown name is ENOTFOUND. */
const resolver = (table: Record<string, readonly LookupAddress[]>) => {
  const asked: string[] = [];
  const resolve: Resolve = (hostname) => {
    asked.push(hostname);
    const found = table[hostname];
    return found ? Promise.resolve(found) : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
  };
  return { resolve, asked };
};

const NAMES = {
  'internal.example.com': [v4('10.0.0.5')],
  'loopback.example.com': [v4('127.0.0.1')],
  'metadata.example.com': [v4('169.254.169.254')],
  'v6-loopback.example.com': [v6('::1')],
  'mapped.example.com': [v6('::ffff:10.0.0.1')],
  'mixed.example.com': [v4('93.184.216.34'), v4('10.0.0.5'), v6('2606:2800:220:1::1')],
  'mixed-v6.example.com': [v6('2606:2800:220:1::1'), v6('fd00:ec2::254')],
  'public.example.com': [v4('93.184.216.34'), v6('2606:2800:220:1::1')],
  'empty.example.com': [],
};

describe('the addresses a delivery may connect to', () => {
  it.each([
    ['internal.example.com', '10.0.0.5'],
    ['loopback.example.com', '127.0.0.1'],
    ['metadata.example.com', '169.254.169.254'],
    ['v6-loopback.example.com', '::1'],
    ['mapped.example.com', '::ffff:10.0.0.1'],
    ['mixed.example.com', '10.0.0.5'],
    ['mixed-v6.example.com', 'fd00:ec2::254'],
  ])('refuses %s: it resolves to %s', async (name, address) => {
    const { resolve } = resolver(NAMES);
    const refusal = checkedAddresses(resolve, name, true);
    await expect(refusal).rejects.toBeInstanceOf(AddressNotPublicError);
    await expect(refusal).rejects.toThrow(`address not public: ${address}`);
  });

  it('allows a name all of whose addresses are public, all of them', async () => {
    const { resolve } = resolver(NAMES);
    expect(await checkedAddresses(resolve, 'public.example.com', true)).toEqual(NAMES['public.example.com']);
  });

  it('allows any address when the check is off (the local stack)', async () => {
    const { resolve } = resolver(NAMES);
    expect(await checkedAddresses(resolve, 'mixed.example.com', false)).toEqual(NAMES['mixed.example.com']);
    expect(await checkedAddresses(resolve, 'loopback.example.com', false)).toEqual([v4('127.0.0.1')]);
  });

  it('passes on a failed lookup, and answers ENOTFOUND for a name without addresses', async () => {
    const { resolve } = resolver(NAMES);
    await expect(checkedAddresses(resolve, 'nowhere.example.com', true)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(checkedAddresses(resolve, 'empty.example.com', true)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe("a socket's lookup", () => {
  const lookup = (name: string, options: { family?: number; all?: boolean }, publicOnly = true) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family: number | undefined }>((done) =>
      checkedLookup(resolver(NAMES).resolve, publicOnly)(name, options, (error, address, family) => done({ error, address, family })),
    );

  it('answers the first checked address, or every one of the family asked for', async () => {
    expect(await lookup('public.example.com', {})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await lookup('public.example.com', { family: 6 })).toEqual({ error: null, address: '2606:2800:220:1::1', family: 6 });
    expect(await lookup('public.example.com', { all: true })).toMatchObject({ error: null, address: NAMES['public.example.com'] });
    expect(await lookup('public.example.com', { all: true, family: 4 })).toMatchObject({ error: null, address: [v4('93.184.216.34')] });
  });

  it('refuses a name with any address that is not public, even of a family not asked for', async () => {
    const refused = await lookup('mixed.example.com', { family: 6 });
    expect(refused.error).toBeInstanceOf(AddressNotPublicError);
    expect(refused.error?.message).toBe('address not public: 10.0.0.5');
    expect((await lookup('metadata.example.com', { all: true })).error?.message).toBe('address not public: 169.254.169.254');
  });

  it('answers ENOTFOUND when no address is of the family asked for, and passes on lookup errors', async () => {
    expect((await lookup('internal.example.com', { family: 6 }, false)).error?.code).toBe('ENOTFOUND');
    expect((await lookup('nowhere.example.com', {})).error?.code).toBe('ENOTFOUND');
  });
});

/** A receiver on 127.0.0.1 that records each request and answers as `answer` says. */
const receivers: Array<http.Server> = [];
const receiver = async (answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end('ok'), server = http.createServer()) => {
  const seen: Array<{ host: string | undefined; path: string | undefined; headers: http.IncomingHttpHeaders; body: string }> = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ host: req.headers.host, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      answer(req, res);
    });
  });
  receivers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen };
};

afterEach(async () => {
  for (const server of receivers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

const HEADERS = { 'content-type': 'application/json', 'webhook-id': 'evt_1' };
const LONG = 60_000;

describe('a delivery over HTTP', () => {
  it('connects to the address the lookup answered, looking it up once, and keeps the host name', async () => {
    const { port, seen } = await receiver();
    // `receiver.test` has no address in any real DNS: only the injected lookup can reach 127.0.0.1.
    const names = resolver({ 'receiver.test': [v4('127.0.0.1')] });
    const post = createHttpPost({ publicOnly: false, resolve: names.resolve });
    expect(await post(`http://receiver.test:${port}/hooks?x=1`, HEADERS, '{"a":"é"}', LONG)).toEqual({ kind: 'response', status: 200, retryAfter: null });
    expect(names.asked).toEqual(['receiver.test']);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ host: `receiver.test:${port}`, path: '/hooks?x=1', body: '{"a":"é"}' });
    expect(seen[0]?.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'evt_1', 'user-agent': 'renewal-gateway-webhooks/1', 'content-length': String(Buffer.byteLength('{"a":"é"}')) });
  });

  it('with the check on (AWS), refuses that same name as a failed attempt, and the receiver sees nothing', async () => {
    const { port, seen } = await receiver();
    const names = resolver({ 'receiver.test': [v4('127.0.0.1')], 'mixed.test': [v4('8.8.8.8'), v4('127.0.0.1')] });
    const post = createHttpPost({ publicOnly: true, resolve: names.resolve });
    expect(await post(`http://receiver.test:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'address not public: 127.0.0.1' });
    expect(await post(`http://mixed.test:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'address not public: 127.0.0.1' });
    expect(seen).toEqual([]);
  });

  it('checks an address literal without a lookup: refused with the check on, delivered with it off', async () => {
    const { port, seen } = await receiver();
    const names = resolver({});
    expect(await createHttpPost({ publicOnly: true, resolve: names.resolve })(`http://127.0.0.1:${port}/`, HEADERS, '{}', LONG)).toEqual({
      kind: 'error',
      error: 'address not public: 127.0.0.1',
    });
    expect(await createHttpPost({ publicOnly: true, resolve: names.resolve })(`https://[::ffff:169.254.169.254]/`, HEADERS, '{}', LONG)).toEqual({
      kind: 'error',
      error: 'address not public: ::ffff:a9fe:a9fe',
    });
    expect(seen).toEqual([]);
    expect(await createHttpPost({ publicOnly: false, resolve: names.resolve })(`http://127.0.0.1:${port}/`, HEADERS, '{}', LONG)).toMatchObject({ kind: 'response', status: 200 });
    expect(seen).toHaveLength(1);
    expect(names.asked).toEqual([]);
  });

  it('does not follow a redirect, and returns Retry-After', async () => {
    const { port, seen } = await receiver((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
      else res.writeHead(503, { 'retry-after': '120' }).end();
    });
    const post = createHttpPost({ publicOnly: false });
    expect(await post(`http://127.0.0.1:${port}/moved`, HEADERS, '{}', LONG)).toEqual({ kind: 'response', status: 302, retryAfter: null });
    expect(await post(`http://127.0.0.1:${port}/busy`, HEADERS, '{}', LONG)).toEqual({ kind: 'response', status: 503, retryAfter: '120' });
    expect(seen.map((s) => s.path)).toEqual(['/moved', '/busy']);
  });

  it('answers on the status line and headers without waiting for a body that never ends', async () => {
    const { port } = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a body that never ends…');
    });
    expect(await createHttpPost({ publicOnly: false })(`http://127.0.0.1:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'response', status: 200, retryAfter: null });
  });

  it('gives up after the timeout when no answer comes', async () => {
    const { port, seen } = await receiver(() => undefined);
    expect(await createHttpPost({ publicOnly: false })(`http://127.0.0.1:${port}/`, HEADERS, '{}', 300)).toEqual({ kind: 'error', error: 'timeout after 300 ms' });
    expect(seen).toHaveLength(1);
  });

  it('records a refused connection and a name without address by their codes', async () => {
    const { port } = await receiver();
    const closed = receivers.splice(0)[0]!;
    closed.closeAllConnections();
    await new Promise((r) => closed.close(r));
    const post = createHttpPost({ publicOnly: false, resolve: resolver({ 'receiver.test': [v4('127.0.0.1')] }).resolve });
    expect(await post(`http://receiver.test:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'ECONNREFUSED' });
    expect(await post(`http://nowhere.test:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'ENOTFOUND' });
    expect(await post('not a url', HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'invalid URL' });
    expect(await post(`http://receiver.test:${port}/`, { 'x-bad': 'a\nb' }, '{}', LONG)).toEqual({ kind: 'error', error: 'ERR_INVALID_CHAR' });
  });
});

/** A certificate for `receiver.test` made for these tests (skipped where openssl is missing). */
const openssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!openssl)('a delivery over HTTPS to a pinned address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-tls-'));
  let tls: { key: string; cert: string };
  beforeAll(() => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=receiver.test',
      '-addext', 'subjectAltName=DNS:receiver.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names and verifies the host over TLS while connecting to the address it checked', async () => {
    const { port, seen } = await receiver(undefined, https.createServer(tls));
    const names = resolver({ 'receiver.test': [v4('127.0.0.1')], 'other.test': [v4('127.0.0.1')] });
    const post = createHttpPost({ publicOnly: false, resolve: names.resolve, ca: tls.cert });
    expect(await post(`https://receiver.test:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'response', status: 200, retryAfter: null });
    expect(seen.map((s) => s.host)).toEqual([`receiver.test:${port}`]);
    // The same address under a name the certificate does not carry: verification is on.
    expect(await post(`https://other.test:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(seen).toHaveLength(1);
    // And with the check on, the name is refused before any connection.
    expect(await createHttpPost({ publicOnly: true, resolve: names.resolve, ca: tls.cert })(`https://receiver.test:${port}/`, HEADERS, '{}', LONG)).toEqual({
      kind: 'error',
      error: 'address not public: 127.0.0.1',
    });
    expect(seen).toHaveLength(1);
  });
});

describe("the delivery function's POST", () => {
  const clients = { dynamo: new DynamoDBClient({ region: 'us-east-1' }), sqs: new SQSClient({ region: 'us-east-1' }) };
  const postFor = (env: Record<string, string>) =>
    loadDeliveryDeps({ TABLE_NAME: 't', [DELIVERY_QUEUE_URL_ENV]: 'http://127.0.0.1:1/000000000000/delivery', ...env }, clients, createLogger('delivery', 'SILENT'), {
      publish: () => Promise.resolve([]),
    }).post;

  it('checks addresses in AWS (EVENT_ENDPOINTS_ALLOW_HTTP unset), as the operator checks hosts, and not on the local stack', async () => {
    const { port, seen } = await receiver();
    expect(await postFor({})(`http://127.0.0.1:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'address not public: 127.0.0.1' });
    expect(await postFor({ EVENT_ENDPOINTS_ALLOW_HTTP: 'false' })(`http://127.0.0.1:${port}/`, HEADERS, '{}', LONG)).toEqual({ kind: 'error', error: 'address not public: 127.0.0.1' });
    expect(seen).toEqual([]);
    expect(await postFor({ EVENT_ENDPOINTS_ALLOW_HTTP: 'true' })(`http://127.0.0.1:${port}/`, HEADERS, '{}', LONG)).toMatchObject({ kind: 'response', status: 200 });
    expect(seen).toHaveLength(1);
  });
});

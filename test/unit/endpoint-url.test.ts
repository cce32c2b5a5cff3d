/**
 * Where an event endpoint may point (functions/operator/endpoints.ts): in AWS only https URLs of
 * public hosts, never this machine, a private network or the metadata range; locally
 * (EVENT_ENDPOINTS_ALLOW_HTTP) http and local receivers too. Never a password in the URL. The
 * address classification (shared/http/public-address.ts) is the one the delivery function applies
 * to every address an endpoint's host resolves to (test/unit/delivery-post.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createBody } from '../../functions/operator/endpoints';
import { isPublicAddress, isPublicHost, publicHostsOnly } from '../../shared/http/public-address';

const errorsFor = (url: string, allowHttp: boolean): string[] => {
  const parsed = createBody(allowHttp).safeParse({ url });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('an event endpoint URL', () => {
  it.each([
    'localhost', 'api.localhost', 'printer.local', 'ip-10-0-0-1.ec2.internal', '127.0.0.1', '127.9.9.9', '0.0.0.0', '10.1.2.3',
    '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.255', '192.0.0.8', '198.18.0.1',
    '224.0.0.1', '255.255.255.255', '[::1]', '::', '[fd00::1]', 'fc12::1', 'fe80::1', 'febf::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'LOCALHOST.',
    '[::ffff:a00:1]', '[::ffff:10.0.0.1]', '[::ffff:a9fe:a9fe]', '[fd00:ec2::254]', '[::127.0.0.1]', '[64:ff9b::a00:5]', '[2002:a00:1::1]',
    '[fec0::1]', 'fe7f::1', '[2001::1]', '[100::1]', '[fe80::1%25eth0]', '[::]',
  ])('refuses the host %s', (host) => {
    expect(isPublicHost(host)).toBe(false);
  });

  it.each(['example.com', 'hooks.example.co.uk', '8.8.8.8', '172.15.0.1', '172.32.0.1', '100.63.0.1', '100.128.0.1', '192.169.0.1', '169.255.0.1', '2001:db8::1', '[2606:4700::1111]', '11.0.0.1', '::ffff:8.8.8.8', '[::ffff:808:808]', '64:ff9b::808:808', '2002:808:808::1', '2000::1', '3fff:ffff::1'])(
    'accepts the host %s',
    (host) => {
      expect(isPublicHost(host)).toBe(true);
    },
  );

  it('in AWS: https to a public host only, each refusal naming the url', () => {
    expect(errorsFor('https://hooks.example.com/renewals', false)).toEqual([]);
    expect(errorsFor('http://hooks.example.com/renewals', false)).toEqual(['url: must be an https URL']);
    expect(errorsFor('https://169.254.169.254/latest/meta-data', false)).toEqual(['url: must name a public host (not localhost, a private, link-local or metadata address)']);
    expect(errorsFor('https://[::1]:8443/', false)).toEqual(['url: must name a public host (not localhost, a private, link-local or metadata address)']);
    expect(errorsFor('https://user:pw@hooks.example.com/', false)).toEqual(['url: must not carry a user name or password (the endpoint verifies the signature instead)']);
    expect(errorsFor('not a url', false)).toEqual(['url: must be an https URL']);
  });

  it('locally: http and this machine are allowed, a password still is not', () => {
    expect(errorsFor('http://127.0.0.1:9999/events', true)).toEqual([]);
    expect(errorsFor('http://localhost:9999/events', true)).toEqual([]);
    expect(errorsFor('http://u:p@127.0.0.1:9999/', true)).toEqual(['url: must not carry a user name or password (the endpoint verifies the signature instead)']);
  });
});

describe('an address an endpoint resolves to', () => {
  it.each([
    '0.0.0.0', '0.1.2.3', '10.0.0.5', '127.0.0.1', '127.255.255.254', '169.254.169.254', '169.254.0.1', '172.16.0.1', '172.31.0.1',
    '192.168.0.1', '100.64.0.1', '100.127.0.1', '192.0.0.1', '198.18.0.1', '198.19.255.255', '224.0.0.1', '239.1.1.1', '240.0.0.1', '255.255.255.255',
    '::', '::1', '0:0:0:0:0:0:0:1', '::ffff:10.0.0.1', '::ffff:7f00:1', '::FFFF:127.0.0.1', '0:0:0:0:0:ffff:a9fe:a9fe', '::127.0.0.1', '::a00:1',
    'fc00::1', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1', 'ff02::1', '64:ff9b::7f00:1', '64:ff9b:1::1', '100::1',
    '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2002:7f00:1::1', '2002:a9fe:a9fe::1', '4000::1', 'e000::1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '8.8.8.8', '1.1.1.1', '11.0.0.1', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.1', '169.253.0.1', '169.255.0.1', '172.15.255.255',
    '172.32.0.0', '192.0.1.0', '192.167.0.1', '192.169.0.1', '198.17.0.1', '198.20.0.1', '223.255.255.255', '9.255.255.255',
    '2606:4700::1111', '2a00:1450:4001:82b::200e', '2001:db8::1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808', '2002:808:808::1',
  ])('accepts %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(['', 'example.com', '1.2.3', '1.2.3.256', '1.2.3.4.5', '::1::2', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::1', 'g::1', '1.2.3.4::', ':1', '1:'])(
    'refuses %j, which is not an IP address',
    (address) => {
      expect(isPublicAddress(address)).toBe(false);
    },
  );

  it('is checked unless EVENT_ENDPOINTS_ALLOW_HTTP is true (the local stack)', () => {
    expect(publicHostsOnly({})).toBe(true);
    expect(publicHostsOnly({ EVENT_ENDPOINTS_ALLOW_HTTP: 'false' })).toBe(true);
    expect(publicHostsOnly({ EVENT_ENDPOINTS_ALLOW_HTTP: 'true' })).toBe(false);
  });
});

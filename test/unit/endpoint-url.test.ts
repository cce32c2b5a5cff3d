/**
 * Where an event endpoint may point (functions/operator/endpoints.ts): in AWS only https URLs of
 * public hosts, never this machine, a private network or the metadata range; locally
 * (EVENT_ENDPOINTS_ALLOW_HTTP) http and local receivers too. Never a password in the URL.
 */
import { describe, expect, it } from 'vitest';
import { createBody, isPublicHost } from '../../functions/operator/endpoints';

const errorsFor = (url: string, allowHttp: boolean): string[] => {
  const parsed = createBody(allowHttp).safeParse({ url });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('an event endpoint URL', () => {
  it.each([
    'localhost', 'api.localhost', 'printer.local', 'ip-10-0-0-1.ec2.internal', '127.0.0.1', '127.9.9.9', '0.0.0.0', '10.1.2.3',
    '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.255', '192.0.0.8', '198.18.0.1',
    '224.0.0.1', '255.255.255.255', '[::1]', '::', '[fd00::1]', 'fc12::1', 'fe80::1', 'febf::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'LOCALHOST.',
  ])('refuses the host %s', (host) => {
    expect(isPublicHost(host)).toBe(false);
  });

  it.each(['example.com', 'hooks.example.co.uk', '8.8.8.8', '172.15.0.1', '172.32.0.1', '100.63.0.1', '100.128.0.1', '192.169.0.1', '169.255.0.1', '2001:db8::1', '[2606:4700::1111]', 'fe7f::1', '11.0.0.1'])(
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

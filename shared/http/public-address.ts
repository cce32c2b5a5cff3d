/**
 * Which hosts and addresses the gateway may call on an operator's behalf (event endpoints): never
 * this machine, a private network, link-local (the instance metadata range), carrier-grade NAT,
 * benchmarking, multicast or reserved space — the gateway's functions must not be made to call
 * inside the network they run in (server-side request forgery).
 *
 * One classification for both checks: the operator's when an endpoint is registered (its URL's
 * host, `isPublicHost`) and the delivery function's on every delivery (each address the endpoint's
 * name resolves to, `isPublicAddress`, functions/delivery/post.ts).
 */
import type { Env } from '../config';

/**
 * `true` (the local stack) lets event endpoints be plain http URLs of local receivers, and turns
 * off the delivery function's address check; otherwise (AWS) https to public hosts only, and every
 * delivery refuses a host that resolves to an address that is not public.
 */
export const ALLOW_HTTP_ENV = 'EVENT_ENDPOINTS_ALLOW_HTTP';

/** Whether endpoints must be public hosts (true unless EVENT_ENDPOINTS_ALLOW_HTTP is `true`). */
export const publicHostsOnly = (env: Env): boolean => env[ALLOW_HTTP_ENV] !== 'true';

/** The four bytes of a dotted IPv4 address, or undefined. */
const ipv4 = (host: string): number[] | undefined => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  const parts = m?.slice(1).map(Number);
  return parts?.every((p) => p <= 255) ? parts : undefined;
};

/** The eight 16-bit groups of an IPv6 address (`::` and a dotted IPv4 tail allowed), or undefined. */
const ipv6 = (host: string): number[] | undefined => {
  if (!/^[0-9a-f:.]+$/.test(host) || host.split('::').length > 2) return undefined;
  // A dotted IPv4 tail may only end the whole address.
  const groupsOf = (part: string, last: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      const v4 = last && i === pieces.length - 1 ? ipv4(piece) : undefined;
      if (v4) out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      else if (/^[0-9a-f]{1,4}$/.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const [head = '', tail] = host.split('::');
  const front = groupsOf(head, tail === undefined);
  const back = tail === undefined ? [] : groupsOf(tail, true);
  if (!front || !back) return undefined;
  const missing = 8 - front.length - back.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...front, ...Array<number>(Math.max(0, missing)).fill(0), ...back];
};

const isPublicV4 = ([a = 0, b = 0, c = 0]: readonly number[]): boolean =>
  !(
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) ||
    (a === 198 && (b === 18 || b === 19))
  );

/** The IPv4 address carried in the last 32 bits of an IPv6 one. */
const lowV4 = (g: readonly number[]): number[] => [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff];

const isPublicV6 = (g: readonly number[]): boolean => {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  // IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96): the IPv4 address they reach decides.
  if (zeroTo(5) && g5 === 0xffff) return isPublicV4(lowV4(g));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isPublicV4(lowV4(g));
  // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
  if (g0 === 0x2002) return isPublicV4([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]);
  // Teredo (2001::/32) tunnels to an address it hides: not called.
  if (g0 === 0x2001 && g1 === 0) return false;
  // Otherwise only global unicast (2000::/3): this leaves out the unspecified and loopback
  // addresses, IPv4-compatible ones (::/96), the local NAT64 prefix (64:ff9b:1::/48), discard
  // (100::/64), unique local (fc00::/7, the metadata service's fd00:ec2::254), link-local
  // (fe80::/10), site-local (fec0::/10) and multicast (ff00::/8).
  return (g0 & 0xe000) === 0x2000;
};

/** An address written as the URL parser and DNS give it: brackets, a zone (`%eth0`) and case aside. */
const bare = (address: string): string => address.toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '');

/**
 * Whether an IP address may be called: false for anything in a non-public range, and for anything
 * that is not an IP address at all.
 */
export const isPublicAddress = (address: string): boolean => {
  const a = bare(address);
  const v4 = ipv4(a);
  if (v4) return isPublicV4(v4);
  const v6 = a.includes(':') ? ipv6(a) : undefined;
  return v6 !== undefined && isPublicV6(v6);
};

/**
 * Whether a URL's host may receive deliveries from AWS: not a local name (`localhost`, `*.local`,
 * `*.internal`) nor an address literal that is not public (`isPublicAddress`). A public name may
 * still resolve to a private address: the delivery function checks every address it resolves to
 * and connects only to a checked one (functions/delivery/post.ts).
 */
export const isPublicHost = (hostname: string): boolean => {
  const host = bare(hostname).replace(/\.$/, '');
  if (host === '' || host === 'localhost' || /\.(localhost|local|internal)$/.test(host)) return false;
  if (ipv4(host) || host.includes(':')) return isPublicAddress(host);
  return true;
};

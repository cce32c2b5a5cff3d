/**
 * The delivery function's HTTP POST to an endpoint, and where it may connect.
 *
 * In AWS (EVENT_ENDPOINTS_ALLOW_HTTP unset) an endpoint's host was checked when it was registered
 * (shared/http/public-address.ts), but a public name can resolve to a private, loopback or metadata
 * address, at registration or later (DNS rebinding). So every delivery resolves the host itself,
 * refuses it if ANY of its addresses is not public, and connects to one of the addresses it checked:
 * the lookup is handed to the socket (`lookup` of node:http/https), so there is no second lookup
 * between the check and the connection. TLS still names and verifies the host (SNI, certificate).
 * On the local stack the check is off: receivers listen on this machine.
 *
 * node:http and node:https rather than fetch: Node's fetch (undici) takes a custom lookup only
 * through an undici `Agent`, and undici is not a dependency of this project.
 */
import { promises as dns, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { AttemptResult } from '../../shared/delivery/policy';
import { isPublicAddress } from '../../shared/http/public-address';

/** One HTTP POST with a timeout; never throws for an endpoint's failure, only answers it. */
/** The User-Agent of every delivery. */
export const USER_AGENT = 'renewal-gateway-webhooks/1';

export type Post = (url: string, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<AttemptResult>;

/** A name's addresses, as `dns.lookup(name, { all: true })` gives them. */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The system resolver, as Node's sockets use it by default. */
export const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true });

/** A delivery refused because its host is, or resolves to, an address that is not public. */
export class AddressNotPublicError extends Error {
  readonly code = 'EADDRNOTPUBLIC';
  constructor(readonly address: string) {
    super(`address not public: ${address}`);
    this.name = 'AddressNotPublicError';
  }
}

const notFound = (hostname: string): Error => Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });

/**
 * The addresses a connection to `hostname` may use: all of them if `publicOnly` is off; otherwise
 * all of them only if every one is public, else an AddressNotPublicError naming the first that is
 * not (one private address is enough: which one a connection would get is not ours to decide).
 */
export const checkedAddresses = async (resolve: Resolve, hostname: string, publicOnly: boolean): Promise<LookupAddress[]> => {
  const found = [...(await resolve(hostname))];
  const refused = publicOnly ? found.find((a) => !isPublicAddress(a.address)) : undefined;
  if (refused) throw new AddressNotPublicError(refused.address);
  if (found.length === 0) throw notFound(hostname);
  return found;
};

/**
 * A socket's `lookup` (net.connect, and through it node:http/https): resolves with `resolve`,
 * checks every address (`checkedAddresses`) and answers only checked ones, so the socket connects
 * to an address that was checked. Answers one address or, when the socket asks for all (Node's
 * happy-eyeballs `autoSelectFamily`), every one of the family it asks for.
 */
export const checkedLookup = (resolve: Resolve, publicOnly: boolean): LookupFunction => (hostname, options, callback) => {
  const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
  checkedAddresses(resolve, hostname, publicOnly)
    .then((addresses) => {
      const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
      const first = usable[0];
      if (!first) return () => callback(notFound(hostname), '');
      return options.all ? () => callback(null, usable) : () => callback(null, first.address, first.family);
    }, (error: unknown) => () => callback(error instanceof Error ? error : new Error(String(error)), ''))
    // Outside the promise: an exception of the socket's callback is not turned into a rejection.
    .then((answer) => process.nextTick(answer), () => undefined);
};

/** What an attempt that got no answer records: ours in words, the system's by its code. */
const failure = (error: unknown): string => {
  if (error instanceof AddressNotPublicError) return error.message;
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return code ?? (error instanceof Error ? error.message.slice(0, 200) : 'request failed');
};

export interface HttpPostOptions {
  /** Refuse a host unless every address it resolves to is public (AWS); off on the local stack. */
  readonly publicOnly: boolean;
  /** Where names are resolved; the system resolver unless a test gives another. */
  readonly resolve?: Resolve;
  /** The certificate authorities https trusts; Node's unless a test gives its receiver's own. */
  readonly ca?: string;
}

/**
 * The delivery function's POST: redirects are not followed (a 3xx is an answer, and a failure), the
 * timeout covers the lookup, connection and the answer's status line and headers, and the answer's
 * body is not read (only its status and `Retry-After` matter; a large body would cost time).
 */
export const createHttpPost = ({ publicOnly, resolve = systemResolve, ca }: HttpPostOptions): Post => {
  const lookup = checkedLookup(resolve, publicOnly);
  // Its own agents: a socket opened without this check is never handed to a call that needs it.
  const agents = { 'http:': new http.Agent(), 'https:': new https.Agent(ca === undefined ? {} : { ca }) };
  return (url, headers, body, timeoutMs) =>
    new Promise<AttemptResult>((settle) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        settle({ kind: 'error', error: 'invalid URL' });
        return;
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        settle({ kind: 'error', error: `unsupported protocol ${target.protocol}` });
        return;
      }
      // A socket connects to an address literal without a lookup: it is checked here instead.
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      if (publicOnly && isIP(literal) !== 0 && !isPublicAddress(literal)) {
        settle({ kind: 'error', error: new AddressNotPublicError(literal).message });
        return;
      }
      let done = false;
      let request: http.ClientRequest | undefined;
      // From before the lookup to the answer's headers.
      const timer = setTimeout(() => {
        finish({ kind: 'error', error: `timeout after ${timeoutMs} ms` });
        request?.destroy();
      }, timeoutMs);
      const finish = (result: AttemptResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        settle(result);
      };
      try {
        request = (target.protocol === 'https:' ? https : http).request(
          target,
          {
            method: 'POST',
            // Named, as fetch named itself: a receiver's logs and firewall can tell these calls apart.
            headers: { 'user-agent': USER_AGENT, ...headers, 'content-length': String(Buffer.byteLength(body)) },
            agent: agents[target.protocol],
            lookup,
          },
          (res) => {
            const retryAfter = res.headers['retry-after'];
            finish({ kind: 'response', status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
            res.on('error', () => undefined);
            res.destroy();
          },
        );
      } catch (error) {
        // A header Node refuses to send (an invalid character): no request was made.
        finish({ kind: 'error', error: failure(error) });
        return;
      }
      request.on('error', (error) => finish({ kind: 'error', error: failure(error) }));
      request.end(body);
    });
};

/**
 * What each simulated provider understands and answers, in its own HTTP terms, so the real request
 * builders and classifiers (shared/providers/*) run unchanged: the simulator reads the requests the
 * gateway builds and answers with the shapes PROVIDERS.md documents (the same ones the local
 * sandboxes in local/sandboxes/ use).
 */
import type { EnabledProvider } from '../../../shared/system';
import type { OutgoingRequest } from '../../../shared/providers/types';

export type Asked =
  /** A call that changes something at the provider: `key` is what it changes, `value` to what. */
  | { readonly kind: 'effect'; readonly key: string; readonly value: string }
  /** A read of a subscription's state (PressOne List User). */
  | { readonly kind: 'read'; readonly key: string; readonly subscription: string };

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Dialect {
  /** The call sets an absolute value: repeating it changes nothing (Digital River). */
  readonly idempotent: boolean;
  /** The account credentials can be refused for the whole account (a pause applies). */
  readonly accountAuth: boolean;
  /** Failed logins that lock the caller out, if the provider does (Punchh: 10 in 10 minutes, for 1 hour). */
  readonly lockout?: { readonly failures: number; readonly windowMs: number; readonly lockMs: number };
  parse(request: OutgoingRequest): Asked;
  renewed(request: OutgoingRequest): HttpAnswer;
  refused(): HttpAnswer;
  locked?(): HttpAnswer;
  /** The read API's answer, given when the subscription was last renewed as far as reads can see. */
  read?(subscription: string, lastRenewedAt: number | undefined): HttpAnswer;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const bodyOf = (request: OutgoingRequest): Record<string, unknown> => {
  const parsed: unknown = request.body === undefined ? {} : JSON.parse(request.body);
  if (!parsed || typeof parsed !== 'object') throw new Error(`simulated provider: body is not an object: ${request.body ?? ''}`);
  return parsed as Record<string, unknown>;
};

const instant = (value: unknown): string => new Date(String(value)).toISOString();

const pressone: Dialect = {
  idempotent: false,
  accountAuth: true,
  parse(request) {
    const url = new URL(request.url);
    if (request.method === 'GET' && url.pathname.endsWith('/partner/user/')) {
      const email = (url.searchParams.get('email') ?? '').toLowerCase();
      return { kind: 'read', key: `pressone:${email}`, subscription: email };
    }
    if (request.method === 'POST' && url.pathname.endsWith('/renew-number/')) {
      const email = String(bodyOf(request).email).toLowerCase();
      return { kind: 'effect', key: `pressone:${email}`, value: 'renewed' };
    }
    throw new Error(`simulated PressOne: unknown call ${request.method} ${url.pathname}`);
  },
  renewed: () => json(200, { message: 'Number renewed successfully', success: true, data: null }),
  refused: () => json(401, { message: 'Unauthorized', success: false, data: null }, { 'www-authenticate': 'Bearer' }),
  read: (email, last) =>
    json(200, {
      message: 'ok',
      success: true,
      data: [
        {
          email,
          subscription: {
            status: last === undefined ? 'trial' : 'active',
            plan: 'standard',
            renewal_count: last === undefined ? 0 : 1,
            last_renewed_at: last === undefined ? null : new Date(last).toISOString(),
          },
        },
      ],
    }),
};

const pelcro: Dialect = {
  idempotent: false,
  // SDK refusals concern one customer's token; the gateway never pauses Pelcro.
  accountAuth: false,
  parse(request) {
    const id = String(bodyOf(request).subscription_id);
    return { kind: 'effect', key: `pelcro:${id}`, value: 'renewed' };
  },
  renewed: () => json(200, { data: { id: 1, status: 'active' } }),
  refused: () => json(401, { message: 'Unauthenticated.' }),
};

const punchh: Dialect = {
  idempotent: false,
  accountAuth: true,
  lockout: { failures: 10, windowMs: 10 * 60_000, lockMs: 60 * 60_000 },
  parse(request) {
    const b = bodyOf(request);
    return { kind: 'effect', key: `punchh:${String(b.subscription_id)}:${instant(b.start_time)}/${instant(b.end_time)}`, value: 'renewed' };
  },
  renewed: (request) => {
    const b = bodyOf(request);
    return json(200, { subscription_id: b.subscription_id, start_time: b.start_time, end_time: b.end_time });
  },
  refused: () => json(401, { error: 'You need to sign in or sign up before continuing.' }),
  locked: () => ({ status: 403, headers: { 'content-type': 'text/plain' }, body: 'Retry later\n' }),
};

const digitalriver: Dialect = {
  idempotent: true,
  accountAuth: true,
  parse(request) {
    const [, subId = '', operation = ''] = /\/v1\/subscriptions\/([^/]+)\/([^/?]+)/.exec(new URL(request.url).pathname) ?? [];
    return { kind: 'effect', key: `digitalriver:${decodeURIComponent(subId)}/${operation}`, value: request.body ?? '' };
  },
  renewed: () => ({ status: 202, headers: {}, body: '' }),
  refused: () => json(401, { errors: [{ code: 'unauthorized', description: 'Please verify your API key and secret (if applicable) is correct' }] }),
};

/**
 * The providers the simulation knows how to play. A provider added to the registry is not
 * simulated until it has a dialect here and a request in scenario.ts (docs/adding-a-provider.md).
 */
export const SIMULATED_PROVIDERS = ['pressone', 'pelcro', 'punchh', 'digitalriver'] as const satisfies readonly EnabledProvider[];
export type SimulatedProvider = (typeof SIMULATED_PROVIDERS)[number];

export const DIALECTS: Record<SimulatedProvider, Dialect> = { pressone, pelcro, punchh, digitalriver };

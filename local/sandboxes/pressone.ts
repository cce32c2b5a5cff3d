/**
 * PressOne sandbox: the voice-only eSIM partner API as docs/providers.md describes it, with the
 * journal and fault injection of ./framework.
 *
 * Where PressOne publishes nothing the choices below are plausible guesses, written down so a
 * consumer is never tuned to an accident of the sandbox:
 * - Auth: BOTH `Authorization: Bearer <key>` and `Pressone-X-Api-Key: <key>` are required (what
 *   PressOne's SDKs send). Missing or wrong → 401 `{"message":"Unauthorized","success":false,
 *   "data":null}` with `WWW-Authenticate: Bearer`. Checked before the body is looked at, as API
 *   frameworks do, so an unauthenticated call learns nothing about its payload.
 * - Every answer uses PressOne's documented envelope `{message, success, data}`; validation
 *   errors add `errors: {field: [message]}` (422), Django-REST style messages.
 * - The paths look like Django routes (trailing slash). Without the slash this sandbox answers
 *   404, not Django's APPEND_SLASH 301: fetch follows a 301 on a POST as a GET, which would turn
 *   a wrong base path into a confusing 405 (or a silent GET) instead of an obvious 404.
 * - Content-Type must be JSON (`application/json` or `…+json`), else 415; unparsable JSON → 400.
 *   An empty body counts as `{}` (→ 422 "email: This field is required.").
 * - Emails are trimmed and matched case-insensitively.
 * - List User (`GET …/partner/user/?email=`) answers `data: [{email, subscription: {status, plan,
 *   renewed_until, renewal_count, last_renewed_at}}]`; the real `subscription` fields are not
 *   published, so these are the sandbox's own and reconciliation code must treat them as such.
 *   Without `email` it lists every user.
 * - No rate limit is documented, so none is enforced.
 *
 * Extra admin routes: `GET /_sandbox/users` → {users}, `POST /_sandbox/users` (a user seed) → 201 {user}.
 */
import * as z from 'zod';
import { parseAdminBody, Sandbox, type Route, type SandboxRequest, type SandboxResponse } from './framework';
import type { ProviderValues } from './registration';

export const PRESSONE_RENEW_PATH = '/api/third-party/partner/renew-number/';
export const PRESSONE_LIST_USER_PATH = '/api/third-party/partner/user/';

export type PressOneSubscriptionStatus = 'trial' | 'active' | 'expired';

export const pressOneUserSeedSchema = z.strictObject({
  email: z.email(),
  plan: z.string().min(1).optional(),
  status: z.enum(['trial', 'active', 'expired']).optional(),
  /** ISO date-time the current paid period ends; absent = none yet (a trial). */
  renewedUntil: z.iso.datetime({ offset: true }).optional(),
});
export type PressOneUserSeed = z.input<typeof pressOneUserSeedSchema>;

/** A user's state as tests see it (camelCase; the API shape is snake_case). */
export interface PressOneUser {
  readonly email: string;
  readonly plan: string;
  readonly status: PressOneSubscriptionStatus;
  readonly renewedUntil: string | null;
  readonly renewalCount: number;
  readonly lastRenewedAt: string | null;
}

export interface PressOneSandboxOptions {
  /** The partner API key both auth headers must carry. */
  readonly apiKey: string;
  readonly users?: readonly PressOneUserSeed[];
  /**
   * Treat any valid, unknown email as an existing trial user (default true, so the local stack
   * renews whatever it is sent). Tests of "user not found" turn it off.
   */
  readonly autoCreateUsers?: boolean;
  /** Clock, for deterministic `renewed_until` in tests. */
  readonly now?: () => Date;
}

const DEFAULT_PLAN = 'standard';

interface UserState {
  email: string;
  plan: string;
  status: PressOneSubscriptionStatus;
  renewedUntil: Date | null;
  renewalCount: number;
  lastRenewedAt: Date | null;
}

const envelope = (message: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  message,
  success: false,
  data: null,
  ...extra,
});

export class PressOneSandbox extends Sandbox {
  private readonly accounts: PressOneAccounts;

  constructor(options: PressOneSandboxOptions) {
    // The routes close over the account store, so it exists before the base class is built.
    const accounts = new PressOneAccounts(options);
    super({
      provider: 'pressone',
      routes: pressOneRoutes(accounts, options.apiKey),
      adminRoutes: adminRoutes(accounts),
      errorBody: (_status, message) => envelope(message),
      resetState: () => accounts.reset(),
    });
    this.accounts = accounts;
  }

  /** Adds a user, replacing any user with the same email (renewal history included). Throws on a bad seed. */
  addUser(seed: PressOneUserSeed): PressOneUser {
    return this.accounts.add(seed);
  }

  /** The stored user, or undefined (an auto-created user exists only once it has been renewed). */
  user(email: string): PressOneUser | undefined {
    return this.accounts.get(email);
  }

  users(): PressOneUser[] {
    return this.accounts.list();
  }

  /** How many renewals took effect for this email: what "renewed exactly once" is asserted on. */
  renewalsFor(email: string): number {
    return this.accounts.get(email)?.renewalCount ?? 0;
  }
}

/** The users and their subscriptions: the state the renew call changes. */
class PressOneAccounts {
  private readonly byEmail = new Map<string, UserState>();
  readonly autoCreate: boolean;
  readonly now: () => Date;

  constructor(private readonly options: PressOneSandboxOptions) {
    this.autoCreate = options.autoCreateUsers ?? true;
    this.now = options.now ?? (() => new Date());
    this.reset();
  }

  /** Back to the users given to the constructor (users added later are dropped). */
  reset(): void {
    this.byEmail.clear();
    for (const seed of this.options.users ?? []) this.add(seed);
  }

  add(seed: PressOneUserSeed): PressOneUser {
    const parsed = pressOneUserSeedSchema.parse(seed);
    const state: UserState = {
      email: parsed.email,
      plan: parsed.plan ?? DEFAULT_PLAN,
      status: parsed.status ?? 'trial',
      renewedUntil: parsed.renewedUntil ? new Date(parsed.renewedUntil) : null,
      renewalCount: 0,
      lastRenewedAt: null,
    };
    this.byEmail.set(key(parsed.email), state);
    return view(state);
  }

  get(email: string): PressOneUser | undefined {
    const state = this.byEmail.get(key(email));
    return state && view(state);
  }

  list(): PressOneUser[] {
    return [...this.byEmail.values()].map(view).sort((a, b) => a.email.localeCompare(b.email));
  }

  /** The user a call refers to: stored, or (auto-create on) a fresh trial user, unsaved until `save`. */
  find(email: string): UserState | undefined {
    const stored = this.byEmail.get(key(email));
    if (stored || !this.autoCreate) return stored;
    return { email, plan: DEFAULT_PLAN, status: 'trial', renewedUntil: null, renewalCount: 0, lastRenewedAt: null };
  }

  /**
   * Renews the current plan for one month. The new period starts where the paid one ends, so an
   * early renewal loses no paid time, and an expired or trial user starts from now. A trial
   * becomes a paid (active) subscription, as PressOne documents.
   */
  renew(user: UserState): void {
    const now = this.now();
    const from = user.renewedUntil && user.renewedUntil > now ? user.renewedUntil : now;
    user.renewedUntil = addOneMonth(from);
    user.status = 'active';
    user.renewalCount += 1;
    user.lastRenewedAt = now;
    this.byEmail.set(key(user.email), user);
  }
}

const key = (email: string): string => email.trim().toLowerCase();

const view = (state: UserState): PressOneUser => ({
  email: state.email,
  plan: state.plan,
  status: state.status,
  renewedUntil: state.renewedUntil?.toISOString() ?? null,
  renewalCount: state.renewalCount,
  lastRenewedAt: state.lastRenewedAt?.toISOString() ?? null,
});

/** Same day next month in UTC, clamped to the month's last day (31 Jan → 28/29 Feb). */
export const addOneMonth = (from: Date): Date => {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const result = new Date(from.getTime());
  result.setUTCFullYear(year, month, Math.min(from.getUTCDate(), lastDay));
  return result;
};

// ── Routes ──────────────────────────────────────────────────────────────────────────────────────

const pressOneRoutes = (accounts: PressOneAccounts, apiKey: string): Route[] => {
  const isAuthorized = (headers: Readonly<Record<string, string>>): boolean => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    return bearer === apiKey && headers['pressone-x-api-key'] === apiKey;
  };
  const unauthorized: SandboxResponse = {
    status: 401,
    body: envelope('Unauthorized'),
    headers: { 'www-authenticate': 'Bearer realm="api"' },
  };

  const renewNumber = (request: SandboxRequest): SandboxResponse => {
    if (!isAuthorized(request.headers)) return unauthorized;
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
      return { status: 415, body: envelope(`Unsupported media type "${mediaType}" in request.`) };
    }
    if (request.json.kind === 'invalid') {
      return { status: 400, body: envelope(`JSON parse error - ${request.json.error}`) };
    }
    const validated = validateRenewBody(request.json.kind === 'ok' ? request.json.value : {});
    if (!validated.ok) {
      const [first] = Object.values(validated.errors).flat();
      return { status: 422, body: envelope(first ?? 'Invalid data.', { errors: validated.errors }) };
    }
    const user = accounts.find(validated.email);
    if (!user) return { status: 404, body: envelope('User not found') };
    accounts.renew(user);
    return { status: 200, body: { message: 'Number renewed successfully', success: true, data: null } };
  };

  const listUser = (request: SandboxRequest): SandboxResponse => {
    if (!isAuthorized(request.headers)) return unauthorized;
    const email = request.query.get('email')?.trim();
    let users: PressOneUser[];
    if (email === undefined || email === '') {
      users = accounts.list();
    } else {
      // An auto-created user "exists" for reads too, as a trial, without being stored by a read.
      const user = z.email().safeParse(email).success ? accounts.find(email) : undefined;
      users = user ? [view(user)] : [];
    }
    return {
      status: 200,
      body: { message: 'Users retrieved successfully', success: true, data: users.map(apiUser) },
    };
  };

  return [
    { method: 'POST', path: PRESSONE_RENEW_PATH, handler: renewNumber },
    { method: 'GET', path: PRESSONE_LIST_USER_PATH, handler: listUser },
  ];
};

const apiUser = (user: PressOneUser): Record<string, unknown> => ({
  email: user.email,
  subscription: {
    status: user.status,
    plan: user.plan,
    renewed_until: user.renewedUntil,
    renewal_count: user.renewalCount,
    last_renewed_at: user.lastRenewedAt,
  },
});

type RenewBodyValidation = { ok: true; email: string } | { ok: false; errors: Record<string, string[]> };

/** DRF-style field validation: each problem under its field name, messages as Django words them. */
const validateRenewBody = (body: unknown): RenewBodyValidation => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'list' : typeof body;
    return { ok: false, errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] } };
  }
  const email: unknown = (body as Record<string, unknown>).email;
  const fail = (message: string): RenewBodyValidation => ({ ok: false, errors: { email: [message] } });
  if (email === undefined) return fail('This field is required.');
  if (email === null) return fail('This field may not be null.');
  if (typeof email !== 'string') return fail('Not a valid string.');
  const trimmed = email.trim();
  if (trimmed === '') return fail('This field may not be blank.');
  if (!z.email().safeParse(trimmed).success) return fail('Enter a valid email address.');
  return { ok: true, email: trimmed };
};

const adminRoutes = (accounts: PressOneAccounts): Route[] => [
  { method: 'GET', path: '/_sandbox/users', handler: () => ({ status: 200, body: { users: accounts.list() } }) },
  {
    method: 'POST',
    path: '/_sandbox/users',
    handler: (request) => {
      const parsed = parseAdminBody(request, pressOneUserSeedSchema);
      if (!parsed.ok) return parsed.response;
      return { status: 201, body: { user: accounts.add(parsed.value) } };
    },
  },
];

// ── Registration (registration.ts) ──────────────────────────────────────────────────────────────

declare module './registration' {
  interface SandboxRegistry {
    pressone: PressOneSandbox;
  }
}

/** The local stack's PressOne, holding the configured API key. */
export const sandbox = (values: ProviderValues): PressOneSandbox => new PressOneSandbox({ apiKey: values.PRESSONE_API_KEY ?? '' });

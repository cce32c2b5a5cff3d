/**
 * Punchh sandbox: Platform Functions "Renew Subscription" (docs/providers.md), with the journal and
 * fault injection of ./framework and Punchh's IP lockout after failed logins.
 *
 * `POST /api2/dashboard/subscriptions/renew` with `Authorization: Bearer <business admin key>` and
 * `{subscription_id, start_time, end_time, purchase_price, new_plan_id?}`. Not idempotent: every
 * accepted call records a term, even the same term twice (Punchh documents no deduplication, so
 * the sandbox lets a consumer's double call show). `renewalsFor` and `termsFor` say what happened.
 *
 * Where Punchh publishes nothing, the choices below are plausible (Punchh is a Rails app: Devise's
 * sign-in message, Rails' `{"errors": {...}}`, Rack::Attack-style blocking) and written down:
 * - Order of checks: IP lockout → auth → Accept → Content-Type → JSON → feature switch →
 *   subscription (406) → fields (422) → plan (422) → renew (200).
 * - IP lockout: `lockout.failures` (10) failed authentications from one IP within
 *   `lockout.windowMs` (10 min) block that IP for `lockout.lockMs` (1 h) from the last failure.
 *   While blocked, every request from it — right key or not — gets **403** with the plain-text
 *   body `Forbidden\n` (Rack::Attack's blocklist answer; not JSON, so a consumer must not assume
 *   error bodies parse). Blocked requests are not authentications and do not extend the block.
 *   The IP is the socket's peer address; `trustForwardedFor` makes the first `X-Forwarded-For`
 *   entry count instead (as behind Punchh's load balancer), which lets tests act as several IPs.
 * - 401 (missing, non-Bearer or wrong key; each counts as a failed authentication):
 *   `{"error": "You need to sign in or sign up before continuing."}`.
 * - `Accept` must admit JSON (`application/json`, `application/*`, `*\/*`); missing or otherwise
 *   → 406 `{"status": 406, "error": "Not Acceptable"}` (the docs mark Accept required). Note the
 *   status is shared with invalid_subscription: both are permanent for a consumer.
 *   `Content-Type` must be JSON → else 415 `{"status": 415, "error": "Unsupported Media Type"}`;
 *   unparsable JSON → 400 `{"status": 400, "error": "Bad Request"}` (Rails' API-mode shapes).
 * - `disabledFeature: true` → 422 `{"errors": {"disabled_feature": "Subscriptions are not enabled
 *   for this business."}}` (a string, not a list, as documented).
 * - Subscription lookup before field validation (a Rails `before_action`): a missing, non-integer
 *   or unknown `subscription_id` → 406 `{"invalid_subscription": "Invalid User Subscription."}`;
 *   a seeded `renewable: false` one → 406 `{"invalid_subscription": "Subscription cannot be
 *   renewed."}`. `invalidSubscriptionKey: 'invalid'` uses the key the response schema names.
 *   With `autoCreate` (default true) every positive integer id is a renewable subscription.
 * - Field errors → 422 `{"errors": {...}}`, Rails wording, all at once: `start_time`/`end_time`
 *   "can't be blank" | "is invalid" (not an ISO 8601 date-time; a time without an offset is read as
 *   UTC), `end_time` "must be after start time"; `purchase_price` is reported under **`price`**
 *   (as docs/providers.md says): "can't be blank" | "is not a number" | "must be greater than or equal
 *   to 0". JSON types are strict (an integer id, a number price).
 * - Plan → 422 `{"errors": {"base": ["Invalid Plan ID" | "Plan is not active." | "Plan has
 *   expired." | "Plan is not available for purchase."]}}`: `new_plan_id` when given (a
 *   non-integer one is "Invalid Plan ID"), else the subscription's seeded plan. Unknown plan ids
 *   are invalid unless `autoCreate` (then an active plan without an external identifier).
 * - 200 `{subscription_id, start_time, end_time, external_plan_identifier?}`: times echoed as
 *   UTC `YYYY-MM-DDTHH:MM:SSZ` (the documented example's form), the identifier only when the plan
 *   has one. A `new_plan_id` switches the subscription's plan.
 * - Framework-made answers (unknown route 404, 405, 500, status faults without a body):
 *   `{"status": <code>, "error": "<reason>"}`. No rate limit is documented, so none is enforced.
 *
 * Extra admin routes: `GET /_sandbox/lockouts` → {failedLogins, locked: [{ip, until}]};
 * `DELETE /_sandbox/lockouts` → 204 (unblocks every IP, forgets failures);
 * `GET /_sandbox/subscriptions` → {subscriptions}; `POST /_sandbox/subscriptions` (a seed) → 201 {subscription}.
 */
import * as z from 'zod';
import { parseAdminBody, Sandbox, type Route, type SandboxRequest, type SandboxResponse } from './framework';
import type { ProviderValues } from './registration';

export const PUNCHH_RENEW_PATH = '/api2/dashboard/subscriptions/renew';
export const PUNCHH_SIGN_IN_MESSAGE = 'You need to sign in or sign up before continuing.';
export const PUNCHH_DISABLED_FEATURE_MESSAGE = 'Subscriptions are not enabled for this business.';

export const PUNCHH_PLAN_STATUSES = ['active', 'inactive', 'expired', 'unavailable'] as const;
export type PunchhPlanStatus = (typeof PUNCHH_PLAN_STATUSES)[number];

export interface PunchhLockout {
  /** Failed authentications from one IP that trigger the block. */
  readonly failures: number;
  /** …within this many ms. */
  readonly windowMs: number;
  /** How long the IP stays blocked, from the failure that triggered it. */
  readonly lockMs: number;
}
export const PUNCHH_DEFAULT_LOCKOUT: PunchhLockout = { failures: 10, windowMs: 600_000, lockMs: 3_600_000 };

const lockoutSchema = z.strictObject({
  failures: z.number().int().positive(),
  windowMs: z.number().int().positive(),
  lockMs: z.number().int().positive(),
});

export const punchhPlanSeedSchema = z.strictObject({
  id: z.number().int().positive(),
  status: z.enum(PUNCHH_PLAN_STATUSES).optional(),
  /** UPC/SKU on third-party systems, echoed as `external_plan_identifier`. */
  externalPlanIdentifier: z.string().min(1).optional(),
});
export type PunchhPlanSeed = z.input<typeof punchhPlanSeedSchema>;

export const punchhSubscriptionSeedSchema = z.strictObject({
  id: z.number().int().positive(),
  planId: z.number().int().positive().optional(),
  /** false → 406 "Subscription cannot be renewed." Default true. */
  renewable: z.boolean().optional(),
});
export type PunchhSubscriptionSeed = z.input<typeof punchhSubscriptionSeedSchema>;

export interface PunchhSandboxOptions {
  /** The business admin key (`Authorization: Bearer <key>`). */
  readonly adminKey: string;
  readonly subscriptions?: readonly PunchhSubscriptionSeed[];
  readonly plans?: readonly PunchhPlanSeed[];
  /** Treat any positive subscription id / plan id as existing (renewable / active). Default true. */
  readonly autoCreate?: boolean;
  /** Default 10 failures in 10 minutes → blocked for an hour. */
  readonly lockout?: PunchhLockout;
  /** The business has subscriptions switched off: every authenticated renew → 422 disabled_feature. */
  readonly disabledFeature?: boolean;
  /** The 406 body's key: `invalid_subscription` (what Punchh's text shows; default) or `invalid` (its schema). */
  readonly invalidSubscriptionKey?: 'invalid_subscription' | 'invalid';
  /** Take the client IP from the first `X-Forwarded-For` entry. Default false (the socket's address). */
  readonly trustForwardedFor?: boolean;
  readonly now?: () => Date;
}

/** One renewal term as recorded (times normalised to UTC ISO strings). */
export interface PunchhTerm {
  readonly start_time: string;
  readonly end_time: string;
  readonly purchase_price: number;
  readonly planId: number | null;
  readonly renewedAt: string;
}

export interface PunchhSubscription {
  readonly id: number;
  readonly planId: number | null;
  readonly renewable: boolean;
  readonly terms: readonly PunchhTerm[];
}

interface SubscriptionState {
  id: number;
  planId: number | null;
  renewable: boolean;
  terms: PunchhTerm[];
}

export class PunchhSandbox extends Sandbox {
  private readonly punchhStore: PunchhStore;
  private readonly punchhGuard: LoginGuard;

  constructor(options: PunchhSandboxOptions) {
    const now = options.now ?? (() => new Date());
    const store = new PunchhStore(options, now);
    const guard = new LoginGuard(lockoutSchema.parse(options.lockout ?? PUNCHH_DEFAULT_LOCKOUT), now);
    super({
      provider: 'punchh',
      routes: punchhRoutes(store, guard, options),
      adminRoutes: adminRoutes(store, guard),
      errorBody: (status, message) => ({ status, error: message }),
      resetState: () => {
        store.reset();
        guard.reset();
      },
    });
    this.punchhStore = store;
    this.punchhGuard = guard;
  }

  /** How many renewals took effect on this subscription. */
  renewalsFor(subscriptionId: number): number {
    return this.punchhStore.get(subscriptionId)?.terms.length ?? 0;
  }

  /** The terms recorded for this subscription, oldest first (a repeated term appears twice). */
  termsFor(subscriptionId: number): PunchhTerm[] {
    return [...(this.punchhStore.get(subscriptionId)?.terms ?? [])];
  }

  subscription(subscriptionId: number): PunchhSubscription | undefined {
    return this.punchhStore.get(subscriptionId);
  }

  subscriptions(): PunchhSubscription[] {
    return this.punchhStore.list();
  }

  /** Adds a subscription, replacing any with the same id (terms included). Throws on a bad seed. */
  addSubscription(seed: PunchhSubscriptionSeed): PunchhSubscription {
    return this.punchhStore.addSubscription(seed);
  }

  /** Failed authentications since start or reset, from one IP or (no argument) from all. */
  failedLogins(ip?: string): number {
    return this.punchhGuard.failedLogins(ip);
  }

  /** Whether this IP (or, without an argument, any IP) is blocked right now. */
  isLockedOut(ip?: string): boolean {
    return this.punchhGuard.isLocked(ip);
  }

  /** Unblocks this IP (or every IP) and forgets its recent failures; the failure totals stay. */
  unlock(ip?: string): void {
    this.punchhGuard.unlock(ip);
  }
}

// ── State ───────────────────────────────────────────────────────────────────────────────────────

class PunchhStore {
  private readonly subscriptionsById = new Map<number, SubscriptionState>();
  private readonly plansById = new Map<number, z.output<typeof punchhPlanSeedSchema>>();
  readonly autoCreate: boolean;

  constructor(
    private readonly options: PunchhSandboxOptions,
    readonly now: () => Date,
  ) {
    this.autoCreate = options.autoCreate ?? true;
    this.reset();
  }

  reset(): void {
    this.subscriptionsById.clear();
    this.plansById.clear();
    for (const seed of this.options.plans ?? []) {
      const plan = punchhPlanSeedSchema.parse(seed);
      this.plansById.set(plan.id, plan);
    }
    for (const seed of this.options.subscriptions ?? []) this.addSubscription(seed);
  }

  addSubscription(seed: PunchhSubscriptionSeed): PunchhSubscription {
    const parsed = punchhSubscriptionSeedSchema.parse(seed);
    const state: SubscriptionState = { id: parsed.id, planId: parsed.planId ?? null, renewable: parsed.renewable ?? true, terms: [] };
    this.subscriptionsById.set(state.id, state);
    return view(state);
  }

  get(id: number): PunchhSubscription | undefined {
    const state = this.subscriptionsById.get(id);
    return state && view(state);
  }

  list(): PunchhSubscription[] {
    return [...this.subscriptionsById.values()].sort((a, b) => a.id - b.id).map(view);
  }

  /** Stored, or (auto-create) a fresh renewable one, unsaved until `renew`. */
  findSubscription(id: number): SubscriptionState | undefined {
    const stored = this.subscriptionsById.get(id);
    if (stored || !this.autoCreate || id < 1) return stored;
    return { id, planId: null, renewable: true, terms: [] };
  }

  /** Plan status and identifier; undefined = "Invalid Plan ID". */
  findPlan(id: number): { status: PunchhPlanStatus; externalPlanIdentifier: string | undefined } | undefined {
    const stored = this.plansById.get(id);
    if (stored) return { status: stored.status ?? 'active', externalPlanIdentifier: stored.externalPlanIdentifier };
    return this.autoCreate && id >= 1 ? { status: 'active', externalPlanIdentifier: undefined } : undefined;
  }

  renew(subscription: SubscriptionState, term: Omit<PunchhTerm, 'renewedAt'>): void {
    subscription.planId = term.planId;
    subscription.terms.push({ ...term, renewedAt: this.now().toISOString() });
    this.subscriptionsById.set(subscription.id, subscription);
  }
}

const view = (state: SubscriptionState): PunchhSubscription => ({
  id: state.id,
  planId: state.planId,
  renewable: state.renewable,
  terms: state.terms.map((term) => ({ ...term })),
});

/** Failed-login counting and IP blocking, per IP. */
class LoginGuard {
  /** Recent failure times per IP (within the window), oldest first. */
  private recentFailures = new Map<string, number[]>();
  private totalFailures = new Map<string, number>();
  private lockedUntil = new Map<string, number>();

  constructor(
    private readonly config: PunchhLockout,
    private readonly now: () => Date,
  ) {}

  isLocked(ip?: string): boolean {
    const at = this.now().getTime();
    if (ip !== undefined) return (this.lockedUntil.get(ip) ?? 0) > at;
    return [...this.lockedUntil.values()].some((until) => until > at);
  }

  /** Records a failed authentication; true when it triggered a block. */
  fail(ip: string): boolean {
    const at = this.now().getTime();
    this.totalFailures.set(ip, (this.totalFailures.get(ip) ?? 0) + 1);
    const recent = (this.recentFailures.get(ip) ?? []).filter((time) => time > at - this.config.windowMs);
    recent.push(at);
    if (recent.length >= this.config.failures) {
      this.lockedUntil.set(ip, at + this.config.lockMs);
      this.recentFailures.delete(ip);
      return true;
    }
    this.recentFailures.set(ip, recent);
    return false;
  }

  failedLogins(ip?: string): number {
    if (ip !== undefined) return this.totalFailures.get(ip) ?? 0;
    return [...this.totalFailures.values()].reduce((sum, count) => sum + count, 0);
  }

  locked(): Array<{ ip: string; until: string }> {
    const at = this.now().getTime();
    return [...this.lockedUntil.entries()].filter(([, until]) => until > at).map(([ip, until]) => ({ ip, until: new Date(until).toISOString() }));
  }

  unlock(ip?: string): void {
    if (ip === undefined) {
      this.lockedUntil.clear();
      this.recentFailures.clear();
      return;
    }
    this.lockedUntil.delete(ip);
    this.recentFailures.delete(ip);
  }

  reset(): void {
    this.recentFailures = new Map();
    this.totalFailures = new Map();
    this.lockedUntil = new Map();
  }
}

// ── Validation ──────────────────────────────────────────────────────────────────────────────────

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 date-time as an instant, or undefined; checks the calendar (no 30 February). */
export const parseIsoDateTime = (value: string): Date | undefined => {
  const match = ISO_DATE_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map((part) => (part === undefined ? undefined : Number(part)));
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || (second ?? 0) > 59) return undefined;
  // Without an offset the time is read as UTC: JavaScript would otherwise use the machine's zone.
  const ms = Date.parse(match[7] === undefined ? `${value.trim()}Z` : value.trim());
  return Number.isNaN(ms) ? undefined : new Date(ms);
};

/** `2021-04-20T21:09:38Z`, the documented example's form. */
const formatTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

type RenewInput = { ok: true; start: Date; end: Date; price: number } | { ok: false; errors: Record<string, string[]> };

/** Rails-style field validation: every failing field, Rails' wording; the price is keyed `price`. */
const validateTerm = (body: Readonly<Record<string, unknown>>): RenewInput => {
  const errors: Record<string, string[]> = {};
  const time = (field: 'start_time' | 'end_time'): Date | undefined => {
    const value = body[field];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      errors[field] = ["can't be blank"];
      return undefined;
    }
    const parsed = typeof value === 'string' ? parseIsoDateTime(value) : undefined;
    if (!parsed) errors[field] = ['is invalid'];
    return parsed;
  };
  const start = time('start_time');
  const end = time('end_time');
  if (start && end && end <= start) errors.end_time = ['must be after start time'];
  const price = body.purchase_price;
  if (price === undefined || price === null) errors.price = ["can't be blank"];
  else if (typeof price !== 'number' || !Number.isFinite(price)) errors.price = ['is not a number'];
  else if (price < 0) errors.price = ['must be greater than or equal to 0'];
  if (Object.keys(errors).length > 0 || !start || !end || typeof price !== 'number') return { ok: false, errors };
  return { ok: true, start, end, price };
};

// ── Routes ──────────────────────────────────────────────────────────────────────────────────────

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const PLAN_PROBLEMS: Readonly<Record<Exclude<PunchhPlanStatus, 'active'>, string>> = {
  inactive: 'Plan is not active.',
  expired: 'Plan has expired.',
  unavailable: 'Plan is not available for purchase.',
};

const mediaTypeOf = (header: string | undefined): string => (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const acceptsJson = (accept: string | undefined): boolean =>
  (accept ?? '')
    .split(',')
    .map((range) => mediaTypeOf(range))
    .some((range) => range === 'application/json' || range === 'application/*' || range === '*/*');

const punchhRoutes = (store: PunchhStore, guard: LoginGuard, options: PunchhSandboxOptions): Route[] => {
  const invalidKey = options.invalidSubscriptionKey ?? 'invalid_subscription';
  const invalidSubscription = (message: string): SandboxResponse => ({ status: 406, body: { [invalidKey]: message } });

  const clientIp = (request: SandboxRequest): string => {
    const forwarded = options.trustForwardedFor ? request.headers['x-forwarded-for']?.split(',')[0]?.trim() : undefined;
    return forwarded || request.remoteAddress || 'unknown';
  };

  const renewSubscription = (request: SandboxRequest): SandboxResponse => {
    const ip = clientIp(request);
    if (guard.isLocked(ip)) return { status: 403, text: 'Forbidden\n' };
    const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (key !== options.adminKey) {
      guard.fail(ip);
      return { status: 401, body: { error: PUNCHH_SIGN_IN_MESSAGE } };
    }
    if (!acceptsJson(request.headers.accept)) return { status: 406, body: { status: 406, error: 'Not Acceptable' } };
    const mediaType = mediaTypeOf(request.headers['content-type']);
    if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
      return { status: 415, body: { status: 415, error: 'Unsupported Media Type' } };
    }
    if (request.json.kind === 'invalid') return { status: 400, body: { status: 400, error: 'Bad Request' } };
    if (options.disabledFeature) return { status: 422, body: { errors: { disabled_feature: PUNCHH_DISABLED_FEATURE_MESSAGE } } };

    const value = request.json.kind === 'ok' ? request.json.value : {};
    const body: Readonly<Record<string, unknown>> = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

    const id = body.subscription_id;
    const subscription = typeof id === 'number' && Number.isSafeInteger(id) ? store.findSubscription(id) : undefined;
    if (!subscription) return invalidSubscription('Invalid User Subscription.');
    if (!subscription.renewable) return invalidSubscription('Subscription cannot be renewed.');

    const term = validateTerm(body);
    if (!term.ok) return { status: 422, body: { errors: term.errors } };

    const newPlanId = body.new_plan_id;
    if (newPlanId !== undefined && (typeof newPlanId !== 'number' || !Number.isSafeInteger(newPlanId))) {
      return { status: 422, body: { errors: { base: ['Invalid Plan ID'] } } };
    }
    const planId = typeof newPlanId === 'number' ? newPlanId : subscription.planId;
    const plan = planId === null ? undefined : store.findPlan(planId);
    if (planId !== null) {
      if (!plan) return { status: 422, body: { errors: { base: ['Invalid Plan ID'] } } };
      if (plan.status !== 'active') return { status: 422, body: { errors: { base: [PLAN_PROBLEMS[plan.status]] } } };
    }

    store.renew(subscription, { start_time: formatTime(term.start), end_time: formatTime(term.end), purchase_price: term.price, planId });
    return {
      status: 200,
      body: {
        subscription_id: subscription.id,
        start_time: formatTime(term.start),
        end_time: formatTime(term.end),
        ...(plan?.externalPlanIdentifier !== undefined ? { external_plan_identifier: plan.externalPlanIdentifier } : {}),
      },
    };
  };

  return [{ method: 'POST', path: PUNCHH_RENEW_PATH, handler: renewSubscription }];
};

const adminRoutes = (store: PunchhStore, guard: LoginGuard): Route[] => [
  { method: 'GET', path: '/_sandbox/lockouts', handler: () => ({ status: 200, body: { failedLogins: guard.failedLogins(), locked: guard.locked() } }) },
  {
    method: 'DELETE',
    path: '/_sandbox/lockouts',
    handler: () => {
      guard.unlock();
      return { status: 204 };
    },
  },
  { method: 'GET', path: '/_sandbox/subscriptions', handler: () => ({ status: 200, body: { subscriptions: store.list() } }) },
  {
    method: 'POST',
    path: '/_sandbox/subscriptions',
    handler: (request) => {
      const parsed = parseAdminBody(request, punchhSubscriptionSeedSchema);
      if (!parsed.ok) return parsed.response;
      return { status: 201, body: { subscription: store.addSubscription(parsed.value) } };
    },
  },
];

// ── Registration (registration.ts) ──────────────────────────────────────────────────────────────

declare module './registration' {
  interface SandboxRegistry {
    punchh: PunchhSandbox;
  }
}

/** The local stack's Punchh, holding the configured admin key. */
export const sandbox = (values: ProviderValues): PunchhSandbox => new PunchhSandbox({ adminKey: values.PUNCHH_ADMIN_KEY ?? '' });

/**
 * Pelcro sandbox: "Renew subscription" in both variants (docs/providers.md), with the journal and fault
 * injection of ./framework and Pelcro's per-account rate limit.
 *
 * - SDK  `POST /api/v1/sdk/subscription/renew?site_id=N`, `Authorization: Bearer <customer JWT>`;
 * - Core `POST /api/v1/core/subscriptions/renew?site_id=N&user_id=M`, `Authorization: Bearer <API key>`.
 *
 * Each accepted renew adds a phase to the subscription: the call is not idempotent, and
 * `renewalsFor(id)` counts exactly what took effect.
 *
 * Where Pelcro publishes nothing, the choices below are plausible (Pelcro is a Laravel app) and
 * written down so no consumer gets tuned to an accident of the sandbox:
 * - Order of checks, as Laravel middleware runs them: auth (401/403) → rate limit (429) →
 *   validation (400) → lookups (404) → business rules (400) → renew (200). So an unauthenticated
 *   call does not use the account's quota (it cannot be attributed to one), and a refused call
 *   has no effect.
 * - 401 (no `Authorization: Bearer …`): `{"message": "Unauthenticated."}`.
 *   403 (bad token or key): `{"error": {"status": 403, "message": "Token is invalid." |
 *   "Token has expired." | "Invalid API key."}}`. The SDK route checks the JWT's structure, `alg`
 *   (not `none`) and `exp` only — the sandbox cannot know Pelcro's signing key — unless
 *   `jwtSecret` is given, then HS256 signatures are checked too. The SDK route refuses the API
 *   key and the Core route refuses a customer JWT (403): each variant takes its own credential.
 * - The customer is the JWT's `sub` (a positive integer, as number or string); a token without a
 *   numeric `sub` acts as customer 1. The Core customer is `user_id`. A seeded subscription with a
 *   `customerId` belongs to that customer only: anyone else gets 404 (Pelcro does not reveal that
 *   another customer's subscription exists).
 * - Validation errors → 400 `{"message": "<first message>", "errors": {"<field>": ["…"]}}` with
 *   Laravel's wording, all failing fields at once (see ./laravel). `site_id`/`user_id` are
 *   validated with the body; a `site_id` not in `siteIds` → 400 "The selected site id is invalid."
 *   (Laravel's `exists` rule). A JSON body sent without a JSON Content-Type, unparsable JSON, or a
 *   JSON value that is not an object is read as no input at all (Laravel parses only JSON bodies
 *   as JSON), which fails the required fields. Unknown fields are ignored. `address_id` is
 *   required (400, same shape) when the plan is seeded with `requiresAddress`.
 * - Not found → 404 `{"error": {"status": 404, "message": "Subscription not found." | "Plan not
 *   found." | "Coupon not found."}}`. Ids above int32 never exist. With `autoCreate` (default
 *   true) every positive subscription and plan id exists (a monthly plan, an active subscription
 *   owned by the caller, stored once renewed), and so does every coupon unless `coupons` is given.
 * - Business rules → 400 `{"message": "…"}`: a subscription that is not renewable (seeded
 *   `renewable: false`, or status `canceled`/`incomplete_expired` by default) and an inactive plan.
 * - 200, SDK: `{"data": {id, object: "customer", email, auth_token, subscriptions: [...]}}` — the
 *   customer (email from the JWT's `email` claim, else `customer-<id>@example.com`) with a fresh
 *   HS256 JWT valid 60 days and all the customer's subscriptions. Core: `{"data": <subscription>}`.
 *   A subscription is `{id, object: "subscription", status, customer_id, plan: {id, object,
 *   nickname, amount, currency, interval, interval_count}, quantity, auto_renew,
 *   collection_method, expires_at, renewal_count, phases: [{id, plan_id, quantity, start_date,
 *   end_date, coupon_code, campaign_key, source}]}`; the field set is the sandbox's own (Pelcro's
 *   is larger and not published for this call). A new phase starts where the paid time ends (or
 *   now) and lasts one plan interval; `replace_upcoming_phases` first deletes phases that have
 *   not started.
 * - Payment is not simulated: `payment_gateway`, `gateway_token` and `source_id` are validated,
 *   stored nowhere, never declined.
 * - Rate limit (default 120 per 60 000 ms, both variants together): beyond it 429
 *   `{"message": "Too Many Attempts."}` with `Retry-After` (seconds until a slot frees),
 *   `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset` (epoch seconds), as
 *   Laravel's throttle answers; accepted calls carry `X-RateLimit-Limit`/`-Remaining`.
 * - Answers the framework makes for Pelcro (unknown route 404, 405, 500, status faults without a
 *   body) use Laravel's default `{"message": "…"}`.
 *
 * Extra admin routes: `GET /_sandbox/rate` → {limit, windowMs, rateLimited, maxInWindow};
 * `GET /_sandbox/subscriptions` → {subscriptions}; `POST /_sandbox/subscriptions` (a seed) → 201 {subscription}.
 */
import * as z from 'zod';
import { parseAdminBody, Sandbox, type Route, type SandboxRequest, type SandboxResponse } from './framework';
import { configuredRate, type ProviderValues } from './registration';
import { checkJwt, signJwt, type JwtClaims } from './jwt';
import { isMissing, queryInteger, validate, type FieldErrors, type Rules } from './laravel';
import { SlidingWindowRateLimiter, type RateDecision, type RateLimit } from './rate-limit';

export const PELCRO_SDK_RENEW_PATH = '/api/v1/sdk/subscription/renew';
export const PELCRO_CORE_RENEW_PATH = '/api/v1/core/subscriptions/renew';

export const PELCRO_PAYMENT_GATEWAYS = ['stripe', 'braintree', 'vantiv', 'tap', 'cybersource'] as const;
export const PELCRO_COLLECTION_METHODS = ['charge_automatically', 'send_invoice'] as const;
/** Stripe's subscription statuses, which Pelcro's subscriptions mirror. */
export const PELCRO_SUBSCRIPTION_STATUSES = ['active', 'trialing', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused'] as const;
export type PelcroSubscriptionStatus = (typeof PELCRO_SUBSCRIPTION_STATUSES)[number];

export const PELCRO_DEFAULT_RATE_LIMIT: RateLimit = { limit: 120, windowMs: 60_000 };
/** Lifetime of the customer token Pelcro hands out (docs/providers.md: 60 days by default). */
export const PELCRO_TOKEN_TTL_SECONDS = 60 * 24 * 60 * 60;
/** Signs the tokens the sandbox mints when no `jwtSecret` is configured. */
const DEFAULT_JWT_SECRET = 'pelcro-sandbox-secret';
/** Who a customer JWT without a numeric `sub` stands for. */
const DEFAULT_CUSTOMER_ID = 1;
const INT32_MAX = 2_147_483_647;
const NOT_RENEWABLE_BY_DEFAULT: readonly PelcroSubscriptionStatus[] = ['canceled', 'incomplete_expired'];

/** ISO 639-1 two-letter codes: `language` must be one of them (lower case). */
const ISO_639_1 = new Set(
  (
    'aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et ' +
    'eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl ' +
    'km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj ' +
    'om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to ' +
    'tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu'
  ).split(' '),
);

const positiveInt = z.number().int().positive().max(INT32_MAX);

export const pelcroPlanSeedSchema = z.strictObject({
  id: positiveInt,
  nickname: z.string().min(1).optional(),
  /** In the currency's minor unit (cents). */
  amount: z.number().int().nonnegative().optional(),
  currency: z.string().length(3).optional(),
  interval: z.enum(['day', 'week', 'month', 'year']).optional(),
  intervalCount: z.number().int().positive().optional(),
  /** An inactive plan cannot be renewed on (400). Default true. */
  active: z.boolean().optional(),
  /** The product ships / is country-limited / is taxed: `address_id` becomes required. Default false. */
  requiresAddress: z.boolean().optional(),
});
export type PelcroPlanSeed = z.input<typeof pelcroPlanSeedSchema>;

export const pelcroSubscriptionSeedSchema = z.strictObject({
  id: positiveInt,
  /** The owner; absent = any customer may renew it. */
  customerId: positiveInt.optional(),
  planId: positiveInt.optional(),
  status: z.enum(PELCRO_SUBSCRIPTION_STATUSES).optional(),
  /** Default: false for `canceled` and `incomplete_expired`, true otherwise. */
  renewable: z.boolean().optional(),
  quantity: positiveInt.optional(),
  /** End of the time already paid for; the first renewal's phase starts there if it is later than now. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type PelcroSubscriptionSeed = z.input<typeof pelcroSubscriptionSeedSchema>;

export interface PelcroSandboxOptions {
  /** The account API key the Core variant must carry. */
  readonly apiKey: string;
  /** The account's sites; another `site_id` → 400. Default [1]. */
  readonly siteIds?: readonly number[];
  /** Per account, both variants together. Default 120 per 60 000 ms. */
  readonly rateLimit?: RateLimit;
  readonly subscriptions?: readonly PelcroSubscriptionSeed[];
  readonly plans?: readonly PelcroPlanSeed[];
  /** When given, only these coupon codes exist (else 404); when absent, any code exists if `autoCreate`. */
  readonly coupons?: readonly string[];
  /** Treat any positive subscription/plan id (and coupon, see `coupons`) as existing. Default true. */
  readonly autoCreate?: boolean;
  /** When set, customer JWTs must be HS256-signed with it (the sandbox cannot otherwise check signatures). */
  readonly jwtSecret?: string;
  readonly now?: () => Date;
}

export type PelcroApi = 'sdk' | 'core';

/** A phase as tests see it. */
export interface PelcroPhase {
  readonly id: number;
  readonly planId: number;
  readonly quantity: number;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly couponCode: string | null;
  readonly campaignKey: string | null;
  readonly source: string | null;
  /** Which variant added it. */
  readonly via: PelcroApi;
}

/** A subscription as tests see it (camelCase; the API shape is snake_case). */
export interface PelcroSubscription {
  readonly id: number;
  readonly customerId: number | null;
  readonly planId: number | null;
  readonly status: PelcroSubscriptionStatus;
  readonly renewable: boolean;
  readonly quantity: number;
  readonly autoRenew: boolean;
  readonly collectionMethod: (typeof PELCRO_COLLECTION_METHODS)[number];
  readonly expiresAt: string | null;
  readonly renewalCount: number;
  readonly phases: readonly PelcroPhase[];
}

interface PlanState {
  id: number;
  nickname: string;
  amount: number;
  currency: string;
  interval: 'day' | 'week' | 'month' | 'year';
  intervalCount: number;
  active: boolean;
  requiresAddress: boolean;
}

interface PhaseState {
  id: number;
  planId: number;
  quantity: number;
  startsAt: Date;
  endsAt: Date;
  couponCode: string | null;
  campaignKey: string | null;
  source: string | null;
  via: PelcroApi;
}

interface SubscriptionState {
  id: number;
  customerId: number | null;
  planId: number | null;
  status: PelcroSubscriptionStatus;
  renewable: boolean;
  quantity: number;
  autoRenew: boolean;
  collectionMethod: (typeof PELCRO_COLLECTION_METHODS)[number];
  /** Paid-until from the seed, before any phase the sandbox added. */
  seededExpiresAt: Date | null;
  renewalCount: number;
  phases: PhaseState[];
}

/** What a renew call asks for, after validation, in both variants. */
interface RenewOrder {
  readonly via: PelcroApi;
  readonly customerId: number;
  readonly subscriptionId: number;
  readonly planId: number;
  readonly quantity: number;
  readonly addressId: number | undefined;
  readonly couponCode: string | undefined;
  readonly campaignKey: string | undefined;
  readonly source: string | undefined;
  readonly replaceUpcomingPhases: boolean;
  readonly autoRenew: boolean | undefined;
  readonly collectionMethod: (typeof PELCRO_COLLECTION_METHODS)[number] | undefined;
}

export class PelcroSandbox extends Sandbox {
  private readonly pelcroStore: PelcroStore;
  private readonly pelcroLimiter: SlidingWindowRateLimiter;
  private readonly pelcroJwtSecret: string;
  private readonly pelcroNow: () => Date;

  constructor(options: PelcroSandboxOptions) {
    const now = options.now ?? (() => new Date());
    // Routes close over the store and the limiter, so they exist before the base class is built.
    const store = new PelcroStore(options, now);
    const limiter = new SlidingWindowRateLimiter(options.rateLimit ?? PELCRO_DEFAULT_RATE_LIMIT, now);
    super({
      provider: 'pelcro',
      routes: pelcroRoutes({ store, limiter, options, now }),
      adminRoutes: adminRoutes(store, limiter),
      errorBody: (_status, message) => ({ message }),
      resetState: () => {
        store.reset();
        limiter.reset();
      },
    });
    this.pelcroStore = store;
    this.pelcroLimiter = limiter;
    this.pelcroJwtSecret = options.jwtSecret ?? DEFAULT_JWT_SECRET;
    this.pelcroNow = now;
  }

  /** How many renewals took effect on this subscription (each added a phase). */
  renewalsFor(subscriptionId: number): number {
    return this.pelcroStore.get(subscriptionId)?.renewalCount ?? 0;
  }

  /** The stored subscription, or undefined (an auto-created one is stored once renewed). */
  subscription(subscriptionId: number): PelcroSubscription | undefined {
    return this.pelcroStore.get(subscriptionId);
  }

  subscriptions(): PelcroSubscription[] {
    return this.pelcroStore.list();
  }

  /** Adds a subscription, replacing any with the same id (history included). Throws on a bad seed. */
  addSubscription(seed: PelcroSubscriptionSeed): PelcroSubscription {
    return this.pelcroStore.addSubscription(seed);
  }

  /** Calls answered 429 by the rate limit (not by an injected fault). */
  rateLimitedCount(): number {
    return this.pelcroLimiter.rateLimitedCount();
  }

  /** The most calls the rate limit let through in any window: never above the limit. */
  maxCallsInAnyWindow(): number {
    return this.pelcroLimiter.maxCallsInAnyWindow();
  }

  /**
   * A customer JWT this sandbox accepts (HS256 with `jwtSecret`, or the sandbox's own key), valid
   * `expiresInSeconds` (default 60 days; negative = already expired) from the sandbox clock.
   */
  customerToken(customerId: number, options: { readonly email?: string; readonly expiresInSeconds?: number } = {}): string {
    const issuedAt = Math.floor(this.pelcroNow().getTime() / 1000);
    return signJwt(
      {
        sub: String(customerId),
        ...(options.email !== undefined ? { email: options.email } : {}),
        iat: issuedAt,
        exp: issuedAt + (options.expiresInSeconds ?? PELCRO_TOKEN_TTL_SECONDS),
      },
      this.pelcroJwtSecret,
    );
  }
}

// ── State ───────────────────────────────────────────────────────────────────────────────────────

class PelcroStore {
  private readonly subscriptionsById = new Map<number, SubscriptionState>();
  private readonly plansById = new Map<number, PlanState>();
  private nextPhaseId = 1;
  readonly autoCreate: boolean;

  constructor(
    private readonly options: PelcroSandboxOptions,
    private readonly now: () => Date,
  ) {
    this.autoCreate = options.autoCreate ?? true;
    this.reset();
  }

  reset(): void {
    this.subscriptionsById.clear();
    this.plansById.clear();
    this.nextPhaseId = 1;
    for (const seed of this.options.plans ?? []) {
      const plan = pelcroPlanSeedSchema.parse(seed);
      const base = defaultPlan(plan.id);
      this.plansById.set(plan.id, {
        id: plan.id,
        nickname: plan.nickname ?? base.nickname,
        amount: plan.amount ?? base.amount,
        currency: plan.currency ?? base.currency,
        interval: plan.interval ?? base.interval,
        intervalCount: plan.intervalCount ?? base.intervalCount,
        active: plan.active ?? base.active,
        requiresAddress: plan.requiresAddress ?? base.requiresAddress,
      });
    }
    for (const seed of this.options.subscriptions ?? []) this.addSubscription(seed);
  }

  addSubscription(seed: PelcroSubscriptionSeed): PelcroSubscription {
    const parsed = pelcroSubscriptionSeedSchema.parse(seed);
    const status = parsed.status ?? 'active';
    const state: SubscriptionState = {
      id: parsed.id,
      customerId: parsed.customerId ?? null,
      planId: parsed.planId ?? null,
      status,
      renewable: parsed.renewable ?? !NOT_RENEWABLE_BY_DEFAULT.includes(status),
      quantity: parsed.quantity ?? 1,
      autoRenew: true,
      collectionMethod: 'send_invoice',
      seededExpiresAt: parsed.expiresAt ? new Date(parsed.expiresAt) : null,
      renewalCount: 0,
      phases: [],
    };
    this.subscriptionsById.set(state.id, state);
    return view(state);
  }

  get(id: number): PelcroSubscription | undefined {
    const state = this.subscriptionsById.get(id);
    return state && view(state);
  }

  list(): PelcroSubscription[] {
    return [...this.subscriptionsById.values()].sort((a, b) => a.id - b.id).map(view);
  }

  /** The customer's stored subscriptions (with `extra` in the list even if not stored yet). */
  ofCustomer(customerId: number, extra: SubscriptionState): SubscriptionState[] {
    const owned = [...this.subscriptionsById.values()].filter((s) => s.customerId === customerId || s === extra);
    if (!owned.includes(extra)) owned.push(extra);
    return owned.sort((a, b) => a.id - b.id);
  }

  /** The subscription as the caller may see it: stored and theirs (or ownerless), or auto-created; unsaved until `renew`. */
  findSubscription(id: number, customerId: number): SubscriptionState | undefined {
    const stored = this.subscriptionsById.get(id);
    if (stored) return stored.customerId === null || stored.customerId === customerId ? stored : undefined;
    if (!this.autoCreate || id > INT32_MAX || id < 1) return undefined;
    return {
      id,
      customerId,
      planId: null,
      status: 'active',
      renewable: true,
      quantity: 1,
      autoRenew: true,
      collectionMethod: 'send_invoice',
      seededExpiresAt: null,
      renewalCount: 0,
      phases: [],
    };
  }

  findPlan(id: number): PlanState | undefined {
    const stored = this.plansById.get(id);
    if (stored || !this.autoCreate || id > INT32_MAX || id < 1) return stored;
    return defaultPlan(id);
  }

  couponExists(code: string): boolean {
    return this.options.coupons ? this.options.coupons.includes(code) : this.autoCreate;
  }

  /** Adds one phase of the plan's interval where the paid time ends (or now), and stores the subscription. */
  renew(subscription: SubscriptionState, plan: PlanState, order: RenewOrder): void {
    const now = this.now();
    if (order.replaceUpcomingPhases) subscription.phases = subscription.phases.filter((phase) => phase.startsAt <= now);
    const paidUntil = expiry(subscription);
    const startsAt = paidUntil && paidUntil > now ? paidUntil : now;
    subscription.phases.push({
      id: this.nextPhaseId++,
      planId: plan.id,
      quantity: order.quantity,
      startsAt,
      endsAt: addInterval(startsAt, plan.interval, plan.intervalCount),
      couponCode: order.couponCode ?? null,
      campaignKey: order.campaignKey ?? null,
      source: order.source ?? null,
      via: order.via,
    });
    subscription.planId = plan.id;
    subscription.quantity = order.quantity;
    if (subscription.status === 'past_due' || subscription.status === 'unpaid') subscription.status = 'active';
    if (order.autoRenew !== undefined) subscription.autoRenew = order.autoRenew;
    if (order.collectionMethod !== undefined) subscription.collectionMethod = order.collectionMethod;
    subscription.renewalCount += 1;
    this.subscriptionsById.set(subscription.id, subscription);
  }
}

const defaultPlan = (id: number): PlanState => ({
  id,
  nickname: `Plan ${id}`,
  amount: 1000,
  currency: 'usd',
  interval: 'month',
  intervalCount: 1,
  active: true,
  requiresAddress: false,
});

const expiry = (subscription: SubscriptionState): Date | null => {
  const ends = subscription.phases.map((phase) => phase.endsAt.getTime());
  if (subscription.seededExpiresAt) ends.push(subscription.seededExpiresAt.getTime());
  return ends.length > 0 ? new Date(Math.max(...ends)) : null;
};

/** Calendar arithmetic in UTC; a month step clamps to the month's last day (31 Jan + 1 month = 28/29 Feb). */
const addInterval = (from: Date, interval: PlanState['interval'], count: number): Date => {
  const result = new Date(from.getTime());
  if (interval === 'day' || interval === 'week') {
    result.setUTCDate(result.getUTCDate() + count * (interval === 'week' ? 7 : 1));
    return result;
  }
  const months = interval === 'year' ? 12 * count : count;
  const target = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(from.getUTCFullYear(), target + 1, 0)).getUTCDate();
  result.setUTCFullYear(from.getUTCFullYear(), target, Math.min(from.getUTCDate(), lastDay));
  return result;
};

const view = (state: SubscriptionState): PelcroSubscription => ({
  id: state.id,
  customerId: state.customerId,
  planId: state.planId,
  status: state.status,
  renewable: state.renewable,
  quantity: state.quantity,
  autoRenew: state.autoRenew,
  collectionMethod: state.collectionMethod,
  expiresAt: expiry(state)?.toISOString() ?? null,
  renewalCount: state.renewalCount,
  phases: state.phases.map((phase) => ({ ...phase, startsAt: phase.startsAt.toISOString(), endsAt: phase.endsAt.toISOString() })),
});

// ── API shapes ──────────────────────────────────────────────────────────────────────────────────

const apiPlan = (plan: PlanState): Record<string, unknown> => ({
  id: plan.id,
  object: 'plan',
  nickname: plan.nickname,
  amount: plan.amount,
  currency: plan.currency,
  interval: plan.interval,
  interval_count: plan.intervalCount,
});

const apiSubscription = (state: SubscriptionState, store: PelcroStore): Record<string, unknown> => {
  const plan = state.planId === null ? undefined : store.findPlan(state.planId);
  return {
    id: state.id,
    object: 'subscription',
    status: state.status,
    customer_id: state.customerId,
    plan: plan ? apiPlan(plan) : null,
    quantity: state.quantity,
    auto_renew: state.autoRenew,
    collection_method: state.collectionMethod,
    expires_at: expiry(state)?.toISOString() ?? null,
    renewal_count: state.renewalCount,
    phases: state.phases.map((phase) => ({
      id: phase.id,
      plan_id: phase.planId,
      quantity: phase.quantity,
      start_date: phase.startsAt.toISOString(),
      end_date: phase.endsAt.toISOString(),
      coupon_code: phase.couponCode,
      campaign_key: phase.campaignKey,
      source: phase.source,
    })),
  };
};

// ── Routes ──────────────────────────────────────────────────────────────────────────────────────

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const unauthenticated: SandboxResponse = { status: 401, body: { message: 'Unauthenticated.' } };
const forbidden = (message: string): SandboxResponse => ({ status: 403, body: { error: { status: 403, message } } });
const notFound = (message: string): SandboxResponse => ({ status: 404, body: { error: { status: 404, message } } });
const businessRule = (message: string): SandboxResponse => ({ status: 400, body: { message } });
/** Laravel's validation answer (status 400 at Pelcro): the first message on top, all of them under `errors`. */
const invalid = (errors: FieldErrors): SandboxResponse => ({
  status: 400,
  body: { message: Object.values(errors).flat()[0] ?? 'The given data was invalid.', errors },
});

/** Fields both variants share; `required`-ness and the variant-only fields are added per variant. */
const COMMON_RULES: Rules = {
  subscription_id: { type: 'integer', required: true },
  plan_id: { type: 'integer', required: true },
  address_id: { type: 'integer' },
  source_id: { type: 'integer' },
  campaign_key: { type: 'string', min: 3, max: 191, alphaDash: true },
  coupon_code: { type: 'string' },
  replace_upcoming_phases: { type: 'boolean' },
};

const SDK_RULES: Rules = {
  ...COMMON_RULES,
  language: { type: 'string', in: [...ISO_639_1] },
  payment_gateway: { type: 'string', in: PELCRO_PAYMENT_GATEWAYS },
  gateway_token: { type: 'string' },
  quantity: { type: 'integer', min: 1 },
  source: { type: 'string' },
};

const CORE_RULES: Rules = {
  ...COMMON_RULES,
  quantity: { type: 'integer', required: true, min: 1 },
  source: { type: 'string', required: true },
  auto_renew: { type: 'boolean' },
  collection_method: { type: 'string', in: PELCRO_COLLECTION_METHODS },
};

interface RouteContext {
  readonly store: PelcroStore;
  readonly limiter: SlidingWindowRateLimiter;
  readonly options: PelcroSandboxOptions;
  readonly now: () => Date;
}

const pelcroRoutes = ({ store, limiter, options, now }: RouteContext): Route[] => {
  const siteIds = options.siteIds ?? [1];
  const jwtSecret = options.jwtSecret ?? DEFAULT_JWT_SECRET;

  /** Laravel's throttle headers, on every answer past the auth check. */
  const withRateHeaders = (response: SandboxResponse, decision: Extract<RateDecision, { allowed: true }>): SandboxResponse => ({
    ...response,
    headers: { ...response.headers, 'x-ratelimit-limit': String(decision.limit), 'x-ratelimit-remaining': String(decision.remaining) },
  });

  const tooManyAttempts = (decision: Extract<RateDecision, { allowed: false }>): SandboxResponse => ({
    status: 429,
    body: { message: 'Too Many Attempts.' },
    headers: {
      'retry-after': String(decision.retryAfterSeconds),
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.ceil(decision.resetAtMs / 1000)),
    },
  });

  /** Validation of the site (both variants) on top of the body's rules. */
  const validateSite = (request: SandboxRequest, errors: FieldErrors): void => {
    const site = queryInteger('site_id', request.query.get('site_id'));
    if (!site.ok) errors.site_id = [site.message];
    else if (!siteIds.includes(site.value)) errors.site_id = ['The selected site id is invalid.'];
  };

  /** Lookups, business rules and the renewal itself: the same in both variants once the input is valid. */
  const renew = (order: RenewOrder): { ok: true; subscription: SubscriptionState } | { ok: false; response: SandboxResponse } => {
    const subscription = store.findSubscription(order.subscriptionId, order.customerId);
    if (!subscription) return { ok: false, response: notFound('Subscription not found.') };
    const plan = store.findPlan(order.planId);
    if (!plan) return { ok: false, response: notFound('Plan not found.') };
    if (order.couponCode !== undefined && !store.couponExists(order.couponCode)) return { ok: false, response: notFound('Coupon not found.') };
    if (!subscription.renewable) return { ok: false, response: businessRule('This subscription can not be renewed.') };
    if (!plan.active) return { ok: false, response: businessRule('The selected plan is not available.') };
    if (plan.requiresAddress && order.addressId === undefined) {
      return { ok: false, response: invalid({ address_id: ['The address id field is required.'] }) };
    }
    store.renew(subscription, plan, order);
    return { ok: true, subscription };
  };

  const sdkRenew = (request: SandboxRequest): SandboxResponse => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) return unauthenticated;
    const checked = checkJwt(token, now(), options.jwtSecret);
    if (!checked.ok) return forbidden(checked.reason === 'expired' ? 'Token has expired.' : 'Token is invalid.');
    const decision = limiter.take();
    if (!decision.allowed) return tooManyAttempts(decision);

    const input = jsonInput(request);
    const errors = validate(input, SDK_RULES);
    validateSite(request, errors);
    if (Object.keys(errors).length > 0) return withRateHeaders(invalid(errors), decision);

    const customerId = customerIdOf(checked.claims);
    const result = renew({ via: 'sdk', customerId, ...orderFields(input), autoRenew: undefined, collectionMethod: undefined });
    if (!result.ok) return withRateHeaders(result.response, decision);

    const issuedAt = Math.floor(now().getTime() / 1000);
    const email = typeof checked.claims.email === 'string' ? checked.claims.email : `customer-${customerId}@example.com`;
    const authToken = signJwt({ sub: String(customerId), email, iat: issuedAt, exp: issuedAt + PELCRO_TOKEN_TTL_SECONDS }, jwtSecret);
    const body = {
      data: {
        id: customerId,
        object: 'customer',
        email,
        auth_token: authToken,
        subscriptions: store.ofCustomer(customerId, result.subscription).map((s) => apiSubscription(s, store)),
      },
    };
    return withRateHeaders({ status: 200, body }, decision);
  };

  const coreRenew = (request: SandboxRequest): SandboxResponse => {
    const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (key === undefined) return unauthenticated;
    if (key !== options.apiKey) return forbidden('Invalid API key.');
    const decision = limiter.take();
    if (!decision.allowed) return tooManyAttempts(decision);

    const input = jsonInput(request);
    const errors = validate(input, CORE_RULES);
    validateSite(request, errors);
    const user = queryInteger('user_id', request.query.get('user_id'));
    if (!user.ok) errors.user_id = [user.message];
    // Laravel's `required_if:collection_method,charge_automatically`.
    if (input.collection_method === 'charge_automatically' && isMissing(input.source_id)) {
      errors.source_id = ['The source id field is required when collection method is charge_automatically.'];
    }
    if (!user.ok || Object.keys(errors).length > 0) return withRateHeaders(invalid(errors), decision);

    const collectionMethod = PELCRO_COLLECTION_METHODS.find((method) => method === input.collection_method);
    const result = renew({
      via: 'core',
      customerId: user.value,
      ...orderFields(input),
      autoRenew: typeof input.auto_renew === 'boolean' ? input.auto_renew : undefined,
      collectionMethod,
    });
    if (!result.ok) return withRateHeaders(result.response, decision);
    return withRateHeaders({ status: 200, body: { data: apiSubscription(result.subscription, store) } }, decision);
  };

  return [
    { method: 'POST', path: PELCRO_SDK_RENEW_PATH, handler: sdkRenew },
    { method: 'POST', path: PELCRO_CORE_RENEW_PATH, handler: coreRenew },
  ];
};

/** The JSON object body, or no input at all (what Laravel sees for anything else; see the module comment). */
const jsonInput = (request: SandboxRequest): Readonly<Record<string, unknown>> => {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const isJson = mediaType === 'application/json' || mediaType.endsWith('+json');
  if (!isJson || request.json.kind !== 'ok') return {};
  const value = request.json.value;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
};

/** The order fields of a validated body (types already checked). */
const orderFields = (input: Readonly<Record<string, unknown>>) => {
  const int = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return {
    subscriptionId: int(input.subscription_id) ?? 0,
    planId: int(input.plan_id) ?? 0,
    quantity: int(input.quantity) ?? 1,
    addressId: int(input.address_id),
    couponCode: str(input.coupon_code),
    campaignKey: str(input.campaign_key),
    source: str(input.source),
    replaceUpcomingPhases: input.replace_upcoming_phases === true,
  };
};

const customerIdOf = (claims: JwtClaims): number => {
  const sub = claims.sub;
  const id = typeof sub === 'number' ? sub : typeof sub === 'string' && /^[1-9][0-9]*$/.test(sub) ? Number(sub) : NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : DEFAULT_CUSTOMER_ID;
};

const adminRoutes = (store: PelcroStore, limiter: SlidingWindowRateLimiter): Route[] => [
  { method: 'GET', path: '/_sandbox/rate', handler: () => ({ status: 200, body: limiter.report() }) },
  { method: 'GET', path: '/_sandbox/subscriptions', handler: () => ({ status: 200, body: { subscriptions: store.list() } }) },
  {
    method: 'POST',
    path: '/_sandbox/subscriptions',
    handler: (request) => {
      const parsed = parseAdminBody(request, pelcroSubscriptionSeedSchema);
      if (!parsed.ok) return parsed.response;
      return { status: 201, body: { subscription: store.addSubscription(parsed.value) } };
    },
  },
];

// ── Registration (registration.ts) ──────────────────────────────────────────────────────────────

declare module './registration' {
  interface SandboxRegistry {
    pelcro: PelcroSandbox;
  }
}

/** The local stack's Pelcro, holding the configured API key, limiting calls to the rate the gateway keeps. */
export const sandbox = (values: ProviderValues): PelcroSandbox => {
  const rateLimit = configuredRate('pelcro', values);
  return new PelcroSandbox({ apiKey: values.PELCRO_API_KEY ?? '', ...(rateLimit ? { rateLimit } : {}) });
};

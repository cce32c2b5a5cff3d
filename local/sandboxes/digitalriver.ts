/**
 * Digital River sandbox: the Commerce API admin calls that change a subscription's renewal
 * settings (docs/providers.md), with the journal and fault injection of ./framework and DR's per-key
 * rate limit.
 *
 *   POST /v1/subscriptions/{subId}/renewal-type      {"autoRenewal": boolean}
 *   POST /v1/subscriptions/{subId}/renewal-product   {"renewalProductId": string}
 *   POST /v1/subscriptions/{subId}/renewal-quantity  {"renewalQuantity": int32 ≥ 1}
 *   POST /v1/subscriptions/{subId}/renewal-price     {"renewalUnitPrice": number}
 *   GET  /v1/subscriptions/{subId}/pending-actions
 *
 * A change is **202 Accepted with no body** and is applied later: it is recorded as a pending
 * action and applied `applyDelayMs` (default 50) after acceptance, by the sandbox clock. Pending
 * actions are applied lazily — whenever anything reads or changes state — rather than by timers,
 * so nothing is left running after `stop()` and a test with a fake clock decides when "later" is.
 * Each call sets an absolute value, so repeating one is harmless (what makes DR safe to retry).
 *
 * Where DR publishes nothing, the choices below are plausible and written down:
 * - Auth: `Basic base64(apiKey:apiSecret)` in `Authorization` (default) or, with
 *   `authHeader: 'token'`, in a header named `token` (the other header is then ignored). A
 *   "full access token" (`accessTokens`, sent as `Bearer <t>` or bare) is accepted by
 *   renewal-type, renewal-quantity and pending-actions, but not by renewal-product and
 *   renewal-price, which take Basic only (401 there).
 * - Order: auth (401) → rate limit (429) → body (400) → subscription (404) → access (403) →
 *   state (400) → 202. Unauthenticated calls do not use the key's quota.
 * - Error bodies come in two shapes, as DR's do, so a consumer must parse both:
 *   the subscription service's nested `{"errors": {"error": [{"code", "subCode", "description"}]}}`
 *   for 400 (validation, state) and 404 (unknown subscription, when `autoCreate` is false);
 *   the API gateway's flat `{"errors": [{"code", "description"}]}` for 401 (code
 *   `unauthorized`, "Please verify your API key and secret (if applicable) is correct."),
 *   403 (`access-denied`, "Access Denied": a subscription seeded `forbidden: true`), 415, 429
 *   (`too-many-requests`, with `Retry-After`), and everything the framework answers (unknown
 *   route 404, 405, 500, status faults without a body).
 * - Body: a JSON object with the one documented field, strictly typed (`autoRenewal` a boolean,
 *   `renewalProductId` a non-empty string, `renewalQuantity` an integer 1…2^31-1,
 *   `renewalUnitPrice` a finite number ≥ 0). Other fields are ignored. A non-JSON Content-Type →
 *   415; an empty or unparsable body → 400.
 * - States: renewal-type only in Subscribed, Pending activation, Trial (documented); the other
 *   changes are refused (400) only for ended subscriptions (Cancelled, Expired) — a guess.
 * - pending-actions → 200 `{"subscriptionId", "pendingActions": [{"id", "type" (the path's last
 *   segment), "value" (the body field), "status": "PENDING", "createdDate", "effectiveDate"}]}`;
 *   the shape is the sandbox's own.
 * - Rate limit (default 100 per 1000 ms, every endpoint): 429 with `Retry-After` and no effect.
 *
 * Extra admin routes: `GET /_sandbox/rate` → {limit, windowMs, rateLimited, maxInWindow};
 * `GET /_sandbox/subscriptions` → {subscriptions}; `POST /_sandbox/subscriptions` (a seed) → 201 {subscription}.
 */
import * as z from 'zod';
import { parseAdminBody, Sandbox, type Route, type SandboxRequest, type SandboxResponse } from './framework';
import { configuredRate, type ProviderValues } from './registration';
import { SlidingWindowRateLimiter, type RateLimit } from './rate-limit';

export const DR_SUBSCRIPTION_STATES = ['Subscribed', 'Pending activation', 'Trial', 'Grace period', 'Suspended', 'Cancelled', 'Expired'] as const;
export type DrSubscriptionState = (typeof DR_SUBSCRIPTION_STATES)[number];
/** Where the renewal type may change (documented). */
const RENEWAL_TYPE_STATES: readonly DrSubscriptionState[] = ['Subscribed', 'Pending activation', 'Trial'];
/** Where no renewal setting can change (the sandbox's guess: the subscription has ended). */
const ENDED_STATES: readonly DrSubscriptionState[] = ['Cancelled', 'Expired'];

export const DR_DEFAULT_RATE_LIMIT: RateLimit = { limit: 100, windowMs: 1000 };
export const DR_UNAUTHORIZED_MESSAGE = 'Please verify your API key and secret (if applicable) is correct.';
const INT32_MAX = 2_147_483_647;

export const DR_RENEWAL_ACTIONS = ['renewal-type', 'renewal-product', 'renewal-quantity', 'renewal-price'] as const;
export type DrRenewalAction = (typeof DR_RENEWAL_ACTIONS)[number];

export const drSubscriptionPath = (subId: string, action: DrRenewalAction | 'pending-actions'): string =>
  `/v1/subscriptions/${encodeURIComponent(subId)}/${action}`;

export const drSubscriptionSeedSchema = z.strictObject({
  id: z.string().min(1),
  state: z.enum(DR_SUBSCRIPTION_STATES).optional(),
  /** The key may not touch this subscription: 403 Access Denied. */
  forbidden: z.boolean().optional(),
  autoRenewal: z.boolean().optional(),
  renewalProductId: z.string().min(1).optional(),
  renewalQuantity: z.number().int().positive().optional(),
  renewalUnitPrice: z.number().nonnegative().optional(),
});
export type DrSubscriptionSeed = z.input<typeof drSubscriptionSeedSchema>;

export interface DigitalRiverSandboxOptions {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** The header carrying `Basic base64(key:secret)`. Default 'authorization'. */
  readonly authHeader?: 'authorization' | 'token';
  /** Full access tokens also accepted where DR accepts them (not renewal-product/-price). */
  readonly accessTokens?: readonly string[];
  /** Per key, every endpoint. Default 100 per 1000 ms. */
  readonly rateLimit?: RateLimit;
  readonly subscriptions?: readonly DrSubscriptionSeed[];
  /** Any unknown subId is a Subscribed subscription (stored once changed). Default true. */
  readonly autoCreate?: boolean;
  /** How long after acceptance a change is applied. Default 50 ms. */
  readonly applyDelayMs?: number;
  readonly now?: () => Date;
}

export interface DrRenewalSettings {
  readonly autoRenewal: boolean;
  readonly renewalProductId: string | null;
  readonly renewalQuantity: number;
  readonly renewalUnitPrice: number | null;
}

/** A change accepted with 202 and not yet applied. */
export interface DrPendingAction {
  readonly id: string;
  readonly subscriptionId: string;
  readonly type: DrRenewalAction;
  readonly value: boolean | string | number;
  readonly createdDate: string;
  readonly effectiveDate: string;
}

export interface DrSubscription {
  readonly id: string;
  readonly state: DrSubscriptionState;
  readonly forbidden: boolean;
  readonly settings: DrRenewalSettings;
  readonly pendingActions: readonly DrPendingAction[];
  /** Changes accepted (202) for it. */
  readonly acceptedCalls: number;
}

interface SubscriptionState {
  id: string;
  state: DrSubscriptionState;
  forbidden: boolean;
  settings: { -readonly [K in keyof DrRenewalSettings]: DrRenewalSettings[K] };
  acceptedCalls: number;
}

/** The body field each change carries. */
const FIELD_OF: Readonly<Record<DrRenewalAction, string>> = {
  'renewal-type': 'autoRenewal',
  'renewal-product': 'renewalProductId',
  'renewal-quantity': 'renewalQuantity',
  'renewal-price': 'renewalUnitPrice',
};

/** Changes that accept Basic auth only (docs/providers.md). */
const BASIC_ONLY: readonly DrRenewalAction[] = ['renewal-product', 'renewal-price'];

export class DigitalRiverSandbox extends Sandbox {
  private readonly drStore: DrStore;
  private readonly drLimiter: SlidingWindowRateLimiter;

  constructor(options: DigitalRiverSandboxOptions) {
    const now = options.now ?? (() => new Date());
    const store = new DrStore(options, now);
    const limiter = new SlidingWindowRateLimiter(options.rateLimit ?? DR_DEFAULT_RATE_LIMIT, now);
    super({
      provider: 'digitalriver',
      routes: drRoutes(store, limiter, options),
      adminRoutes: adminRoutes(store, limiter),
      errorBody: (status, message) => flatError(codeFor(status), message),
      resetState: () => {
        store.reset();
        limiter.reset();
      },
    });
    this.drStore = store;
    this.drLimiter = limiter;
  }

  /** The subscription's renewal settings with every due change applied; undefined if unknown and never changed. */
  settingsFor(subId: string): DrRenewalSettings | undefined {
    this.drStore.applyDue();
    return this.drStore.get(subId)?.settings;
  }

  /** Changes accepted (202) for this subscription, applied or not. */
  callsCountFor(subId: string): number {
    return this.drStore.get(subId)?.acceptedCalls ?? 0;
  }

  /** Accepted changes not yet applied, oldest first. */
  pendingActionsFor(subId: string): DrPendingAction[] {
    this.drStore.applyDue();
    return this.drStore.pendingFor(subId);
  }

  /** Applies every pending change now, due or not (as if DR had caught up). */
  applyPendingActions(): void {
    this.drStore.applyAll();
  }

  subscription(subId: string): DrSubscription | undefined {
    this.drStore.applyDue();
    return this.drStore.get(subId);
  }

  subscriptions(): DrSubscription[] {
    this.drStore.applyDue();
    return this.drStore.list();
  }

  /** Adds a subscription, replacing any with the same id (its pending changes dropped). Throws on a bad seed. */
  addSubscription(seed: DrSubscriptionSeed): DrSubscription {
    return this.drStore.addSubscription(seed);
  }

  rateLimitedCount(): number {
    return this.drLimiter.rateLimitedCount();
  }

  maxCallsInAnyWindow(): number {
    return this.drLimiter.maxCallsInAnyWindow();
  }
}

// ── State ───────────────────────────────────────────────────────────────────────────────────────

interface PendingState extends DrPendingAction {
  readonly dueAt: number;
}

class DrStore {
  private readonly subscriptionsById = new Map<string, SubscriptionState>();
  private pending: PendingState[] = [];
  private nextActionId = 1;
  readonly autoCreate: boolean;
  private readonly applyDelayMs: number;

  constructor(
    private readonly options: DigitalRiverSandboxOptions,
    private readonly now: () => Date,
  ) {
    this.autoCreate = options.autoCreate ?? true;
    this.applyDelayMs = z.number().int().nonnegative().parse(options.applyDelayMs ?? 50);
    this.reset();
  }

  reset(): void {
    this.subscriptionsById.clear();
    this.pending = [];
    this.nextActionId = 1;
    for (const seed of this.options.subscriptions ?? []) this.addSubscription(seed);
  }

  addSubscription(seed: DrSubscriptionSeed): DrSubscription {
    const parsed = drSubscriptionSeedSchema.parse(seed);
    this.pending = this.pending.filter((action) => action.subscriptionId !== parsed.id);
    const state: SubscriptionState = {
      id: parsed.id,
      state: parsed.state ?? 'Subscribed',
      forbidden: parsed.forbidden ?? false,
      settings: {
        autoRenewal: parsed.autoRenewal ?? true,
        renewalProductId: parsed.renewalProductId ?? null,
        renewalQuantity: parsed.renewalQuantity ?? 1,
        renewalUnitPrice: parsed.renewalUnitPrice ?? null,
      },
      acceptedCalls: 0,
    };
    this.subscriptionsById.set(state.id, state);
    return this.view(state);
  }

  get(id: string): DrSubscription | undefined {
    const state = this.subscriptionsById.get(id);
    return state && this.view(state);
  }

  list(): DrSubscription[] {
    return [...this.subscriptionsById.values()].sort((a, b) => a.id.localeCompare(b.id)).map((state) => this.view(state));
  }

  pendingFor(id: string): DrPendingAction[] {
    return this.pending.filter((action) => action.subscriptionId === id).map(publicAction);
  }

  /** Stored, or (auto-create) a fresh Subscribed one, unsaved until a change is accepted. */
  find(id: string): SubscriptionState | undefined {
    const stored = this.subscriptionsById.get(id);
    if (stored || !this.autoCreate) return stored;
    return {
      id,
      state: 'Subscribed',
      forbidden: false,
      settings: { autoRenewal: true, renewalProductId: null, renewalQuantity: 1, renewalUnitPrice: null },
      acceptedCalls: 0,
    };
  }

  /** Records an accepted change, to be applied `applyDelayMs` from now. */
  accept(subscription: SubscriptionState, type: DrRenewalAction, value: boolean | string | number): void {
    const at = this.now().getTime();
    subscription.acceptedCalls += 1;
    this.subscriptionsById.set(subscription.id, subscription);
    this.pending.push({
      id: `pa_${this.nextActionId++}`,
      subscriptionId: subscription.id,
      type,
      value,
      createdDate: new Date(at).toISOString(),
      effectiveDate: new Date(at + this.applyDelayMs).toISOString(),
      dueAt: at + this.applyDelayMs,
    });
  }

  /** Applies, in acceptance order, every change whose time has come. */
  applyDue(): void {
    const at = this.now().getTime();
    if (!this.pending.some((action) => action.dueAt <= at)) return;
    const due = this.pending.filter((action) => action.dueAt <= at);
    this.pending = this.pending.filter((action) => action.dueAt > at);
    for (const action of due) this.apply(action);
  }

  applyAll(): void {
    const all = this.pending;
    this.pending = [];
    for (const action of all) this.apply(action);
  }

  private apply(action: PendingState): void {
    const subscription = this.subscriptionsById.get(action.subscriptionId);
    if (!subscription) return;
    const settings = subscription.settings;
    switch (action.type) {
      case 'renewal-type':
        settings.autoRenewal = action.value === true;
        return;
      case 'renewal-product':
        settings.renewalProductId = String(action.value);
        return;
      case 'renewal-quantity':
        settings.renewalQuantity = Number(action.value);
        return;
      case 'renewal-price':
        settings.renewalUnitPrice = Number(action.value);
        return;
    }
  }

  private view(state: SubscriptionState): DrSubscription {
    return {
      id: state.id,
      state: state.state,
      forbidden: state.forbidden,
      settings: { ...state.settings },
      pendingActions: this.pendingFor(state.id),
      acceptedCalls: state.acceptedCalls,
    };
  }
}

const publicAction = ({ dueAt: _dueAt, ...action }: PendingState): DrPendingAction => action;

// ── Errors ──────────────────────────────────────────────────────────────────────────────────────

/** The API gateway's shape (auth, throttling, routing). */
const flatError = (code: string, description: string): unknown => ({ errors: [{ code, description }] });

/** The subscription service's shape (validation, state, not found). */
const nestedError = (code: string, subCode: string, description: string): unknown => ({ errors: { error: [{ code, subCode, description }] } });

const codeFor = (status: number): string =>
  ({ 400: 'bad-request', 401: 'unauthorized', 403: 'access-denied', 404: 'not-found', 405: 'method-not-allowed', 409: 'conflict', 413: 'payload-too-large', 415: 'unsupported-media-type', 429: 'too-many-requests', 502: 'bad-gateway', 503: 'service-unavailable', 504: 'gateway-timeout' })[status] ??
  (status >= 500 ? 'internal-server-error' : 'error');

const badRequest = (subCode: string, description: string): SandboxResponse => ({ status: 400, body: nestedError('bad-request', subCode, description) });
const unauthorized: SandboxResponse = { status: 401, body: flatError('unauthorized', DR_UNAUTHORIZED_MESSAGE) };

// ── Routes ──────────────────────────────────────────────────────────────────────────────────────

type Credential = 'basic' | 'access-token' | 'none';

const drRoutes = (store: DrStore, limiter: SlidingWindowRateLimiter, options: DigitalRiverSandboxOptions): Route[] => {
  const headerName = options.authHeader ?? 'authorization';
  const accessTokens = options.accessTokens ?? [];

  /** Which credential the configured header carries, if a valid one. */
  const credentialOf = (request: SandboxRequest): Credential => {
    const value = request.headers[headerName]?.trim() ?? '';
    const basicMatch = /^Basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(value);
    if (basicMatch) {
      // The scheme name is case-insensitive (RFC 7617); the credentials are compared decoded.
      const decoded = Buffer.from(basicMatch[1] ?? '', 'base64').toString('utf8');
      return decoded === `${options.apiKey}:${options.apiSecret}` ? 'basic' : 'none';
    }
    const token = /^Bearer\s+(\S+)$/i.exec(value)?.[1] ?? value;
    return token !== '' && accessTokens.includes(token) ? 'access-token' : 'none';
  };

  /** Auth then rate limit, common to every endpoint; undefined = go on. */
  const admit = (request: SandboxRequest, basicOnly: boolean): SandboxResponse | undefined => {
    const credential = credentialOf(request);
    if (credential === 'none' || (basicOnly && credential !== 'basic')) return unauthorized;
    const decision = limiter.take();
    if (!decision.allowed) {
      return { status: 429, body: flatError('too-many-requests', 'Too many requests'), headers: { 'retry-after': String(decision.retryAfterSeconds) } };
    }
    store.applyDue();
    return undefined;
  };

  /** The subscription a path names, or the 404/403 to answer. */
  const subscriptionFor = (request: SandboxRequest): { ok: true; subscription: SubscriptionState } | { ok: false; response: SandboxResponse } => {
    const subId = request.params?.subId ?? '';
    const subscription = store.find(subId);
    if (!subscription) return { ok: false, response: { status: 404, body: nestedError('not-found', 'subscription-not-found', `Subscription ${subId} not found.`) } };
    if (subscription.forbidden) return { ok: false, response: { status: 403, body: flatError('access-denied', 'Access Denied') } };
    return { ok: true, subscription };
  };

  const change =
    (action: DrRenewalAction) =>
    (request: SandboxRequest): SandboxResponse => {
      const refused = admit(request, BASIC_ONLY.includes(action));
      if (refused) return refused;
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
        return { status: 415, body: flatError('unsupported-media-type', `Content type '${mediaType}' not supported.`) };
      }
      const value = validateBody(action, request);
      if (!value.ok) return value.response;
      const found = subscriptionFor(request);
      if (!found.ok) return found.response;
      const { subscription } = found;
      if (action === 'renewal-type' && !RENEWAL_TYPE_STATES.includes(subscription.state)) {
        return badRequest('invalid-subscription-state', `Renewal type can only be changed for subscriptions in state ${RENEWAL_TYPE_STATES.join(', ')}; this one is ${subscription.state}.`);
      }
      if (ENDED_STATES.includes(subscription.state)) {
        return badRequest('invalid-subscription-state', `Renewal settings cannot be changed for a subscription in state ${subscription.state}.`);
      }
      store.accept(subscription, action, value.value);
      // DR answers 202 with an empty body; Content-Length keeps it from being sent chunked.
      return { status: 202, headers: { 'content-length': '0' } };
    };

  const pendingActions = (request: SandboxRequest): SandboxResponse => {
    const refused = admit(request, false);
    if (refused) return refused;
    const found = subscriptionFor(request);
    if (!found.ok) return found.response;
    const { id } = found.subscription;
    return { status: 200, body: { subscriptionId: id, pendingActions: store.pendingFor(id).map(({ subscriptionId: _s, ...action }) => ({ ...action, status: 'PENDING' })) } };
  };

  return [
    ...DR_RENEWAL_ACTIONS.map((action): Route => ({ method: 'POST', path: `/v1/subscriptions/{subId}/${action}`, handler: change(action) })),
    { method: 'GET', path: '/v1/subscriptions/{subId}/pending-actions', handler: pendingActions },
  ];
};

/** The one documented field, strictly typed; the 400 names it. */
const validateBody = (action: DrRenewalAction, request: SandboxRequest): { ok: true; value: boolean | string | number } | { ok: false; response: SandboxResponse } => {
  const field = FIELD_OF[action];
  const fail = (subCode: string, description: string) => ({ ok: false as const, response: badRequest(subCode, description) });
  if (request.json.kind === 'empty') return fail('missing-request-body', 'Required request body is missing.');
  if (request.json.kind === 'invalid') return fail('malformed-request-body', `The request body is not valid JSON: ${request.json.error}`);
  const body = request.json.value;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('malformed-request-body', 'The request body must be a JSON object.');
  const value: unknown = (body as Record<string, unknown>)[field];
  if (value === undefined || value === null) return fail('missing-parameter', `${field} is required.`);
  const invalid = (rule: string) => fail('invalid-parameter', `${field} ${rule}.`);
  switch (action) {
    case 'renewal-type':
      return typeof value === 'boolean' ? { ok: true, value } : invalid('must be a boolean');
    case 'renewal-product':
      return typeof value === 'string' && value.trim() !== '' ? { ok: true, value } : invalid('must be a non-empty string');
    case 'renewal-quantity':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= INT32_MAX
        ? { ok: true, value }
        : invalid(`must be an integer between 1 and ${INT32_MAX}`);
    case 'renewal-price':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? { ok: true, value } : invalid('must be a number greater than or equal to 0');
  }
};

const adminRoutes = (store: DrStore, limiter: SlidingWindowRateLimiter): Route[] => [
  { method: 'GET', path: '/_sandbox/rate', handler: () => ({ status: 200, body: limiter.report() }) },
  {
    method: 'GET',
    path: '/_sandbox/subscriptions',
    handler: () => {
      store.applyDue();
      return { status: 200, body: { subscriptions: store.list() } };
    },
  },
  {
    method: 'POST',
    path: '/_sandbox/subscriptions',
    handler: (request) => {
      const parsed = parseAdminBody(request, drSubscriptionSeedSchema);
      if (!parsed.ok) return parsed.response;
      return { status: 201, body: { subscription: store.addSubscription(parsed.value) } };
    },
  },
];

// ── Registration (registration.ts) ──────────────────────────────────────────────────────────────

declare module './registration' {
  interface SandboxRegistry {
    digitalriver: DigitalRiverSandbox;
  }
}

/** The local stack's DigitalRiver, holding the configured key and secret in the configured header, limiting calls to the rate the gateway keeps. */
export const sandbox = (values: ProviderValues): DigitalRiverSandbox => {
  const rateLimit = configuredRate('digitalriver', values);
  const authHeader = values.DIGITALRIVER_AUTH_HEADER?.toLowerCase() === 'token' ? 'token' : 'authorization';
  return new DigitalRiverSandbox({
    apiKey: values.DIGITALRIVER_API_KEY ?? '',
    apiSecret: values.DIGITALRIVER_API_SECRET ?? '',
    authHeader,
    ...(rateLimit ? { rateLimit } : {}),
  });
};

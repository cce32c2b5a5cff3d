/**
 * Provider sandboxes: real HTTP servers that behave like a provider's API, for the local stack and
 * for tests. Each provider module (pressone.ts, …) supplies its routes and state; this module gives
 * every sandbox the same two testing tools:
 *
 * - a **call journal**: every provider call (anything outside `/_sandbox/`) is recorded with what
 *   the client sent and what it got back, so tests can assert on exactly what a consumer sent;
 * - **fault injection**: a queue of faults, each applying to the next `count` matching calls, so
 *   tests can reproduce outages, slowness, lost answers and "the provider did it but the answer was
 *   lost" deterministically instead of hoping a real provider misbehaves.
 *
 * Admin HTTP API (never needs provider auth, never journaled, never hit by faults):
 *   GET    /_sandbox/health   → 200 {status: "ok", provider}
 *   GET    /_sandbox/calls    → 200 {calls: SandboxCall[]} (oldest first)
 *   DELETE /_sandbox/calls    → 204
 *   GET    /_sandbox/faults   → 200 {faults: Fault[]} (pending; `count` is what is left)
 *   POST   /_sandbox/faults   → 201 {faults: Fault[]} (body: one fault or an array; appended)
 *   DELETE /_sandbox/faults   → 204
 *   POST   /_sandbox/reset    → 204 (journal, faults and provider state back to the start)
 * plus whatever admin routes the provider adds (also under `/_sandbox/`).
 *
 * Route paths match exactly, except that a whole segment written `{name}` matches any one
 * non-empty segment and is handed to the handler, decoded, as `request.params.name` (providers
 * such as Digital River put ids in the path).
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';

// ── Faults ──────────────────────────────────────────────────────────────────────────────────────

/** Fields every fault has: how many matching calls it applies to, and which calls match. */
const faultScope = {
  count: z.number().int().positive().default(1),
  /** Substring of the request path (query included); absent = every provider call matches. */
  path: z.string().min(1).optional(),
};

/** An answer the fault substitutes for the provider's own. 2xx allowed: e.g. 200 with `success: false`. */
const faultAnswer = {
  status: z.number().int().min(200).max(599),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  /** JSON body to answer with; absent = the provider's usual error envelope for that status. */
  body: z.json().optional(),
};

// Latency is capped so a typo cannot park a request for hours; use `timeout` for "never answers".
const MAX_LATENCY_MS = 120_000;

/**
 * Strict objects: a misspelt field (`retryAfter`, `statusCode`) must fail loudly, otherwise a test
 * would silently run without the fault it thinks it injected.
 */
export const faultSchema = z.discriminatedUnion('kind', [
  /** Answer with this status instead of processing: the call has no effect (like a 503 from a load balancer). */
  z.strictObject({ kind: z.literal('status'), ...faultAnswer, ...faultScope }),
  /** Process the call (its effect is applied), then answer with this status instead: an ambiguous 5xx. */
  z.strictObject({ kind: z.literal('status-after-effect'), ...faultAnswer, ...faultScope }),
  /**
   * Wait `ms`, then process normally. The call is processed even if the client gave up meanwhile,
   * which is how a slow provider behaves: the work still happens after the client's timeout.
   */
  z.strictObject({ kind: z.literal('latency'), ms: z.number().int().nonnegative().max(MAX_LATENCY_MS), ...faultScope }),
  /** Never answer and never process; the socket is held until the client gives up or the sandbox stops. */
  z.strictObject({ kind: z.literal('timeout'), ...faultScope }),
  /**
   * Read the request, then reset the connection without processing it: the effect is NOT applied.
   * (To the client this is indistinguishable from `reset-after-effect`; that is the point.)
   */
  z.strictObject({ kind: z.literal('reset'), ...faultScope }),
  /** Process the call (effect applied), then reset the connection: "the provider did it but the answer was lost". */
  z.strictObject({ kind: z.literal('reset-after-effect'), ...faultScope }),
]);

/** A fault as stored and reported (defaults filled in). */
export type Fault = z.output<typeof faultSchema>;
/** A fault as written by a test or posted to `/_sandbox/faults` (`count` optional). */
export type FaultSpec = z.input<typeof faultSchema>;
export type FaultKind = Fault['kind'];

/** One fault or several; a lone fault is treated as a list of one. */
const faultListSchema = z.preprocess((input) => (Array.isArray(input) ? input : [input]), z.array(faultSchema));

// ── Journal ─────────────────────────────────────────────────────────────────────────────────────

/**
 * What became of a call: `pending` (not answered yet), `answered`, `timeout` (held by a timeout
 * fault), `reset` (connection reset by a fault), `aborted` (the connection closed before an answer:
 * the client gave up during latency, or the sandbox stopped).
 */
export type CallOutcome = 'pending' | 'answered' | 'timeout' | 'reset' | 'aborted';

export interface SandboxCall {
  /** 1, 2, 3… in arrival order; survives `clearCalls()` so entries stay distinguishable. */
  readonly seq: number;
  /** ISO time the request was fully received. */
  readonly at: string;
  readonly method: string;
  /** Path as sent, query string included. */
  readonly path: string;
  /** Request headers, names lowercased (repeated headers joined with ", "). Not redacted: sandbox keys are fake. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body; null when the body was empty or not JSON (then see `rawBody`). */
  readonly body: unknown;
  /** The body text, only when it was not empty and not valid JSON. */
  readonly rawBody?: string;
  /** Status sent to the client; null while pending and when no answer was sent (timeout, reset, aborted). */
  readonly status: number | null;
  readonly outcome: CallOutcome;
  /** The fault applied to this call, if any. */
  readonly fault: FaultKind | null;
  /** Whether the provider logic ran, i.e. whether the call could have had an effect. */
  readonly processed: boolean;
}

type MutableCall = { -readonly [K in keyof SandboxCall]: SandboxCall[K] };

// ── Routes ──────────────────────────────────────────────────────────────────────────────────────

/** The request body as the route sees it: routes decide what an empty or broken body means. */
export type JsonBody =
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly error: string }
  | { readonly kind: 'ok'; readonly value: unknown };

export interface SandboxRequest {
  readonly method: string;
  /** Path without the query string, exactly as sent (no trailing-slash normalisation). */
  readonly path: string;
  /** Values of the route's `{name}` segments, percent-decoded; absent when the route has none. */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * The client's IP as the socket reports it (IPv4-mapped IPv6 addresses unwrapped), for
   * providers whose behaviour depends on the caller's address (Punchh's IP lockout).
   */
  readonly remoteAddress?: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  readonly json: JsonBody;
}

export interface SandboxResponse {
  readonly status: number;
  /** Serialized as JSON; absent = no body. */
  readonly body?: unknown;
  /**
   * A non-JSON body sent as is (content-type text/plain unless `headers` set one), for providers
   * that answer some errors in plain text; ignored when `body` is set.
   */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Exact path match: providers differ on trailing slashes and the sandbox must not paper over that.
   * A segment written `{name}` matches any one non-empty segment (see `SandboxRequest.params`).
   */
  readonly path: string;
  readonly handler: RouteHandler;
}

export interface SandboxDefinition {
  /** Provider name, reported by `/_sandbox/health` and in error messages. */
  readonly provider: string;
  readonly routes: readonly Route[];
  /** Extra admin routes; their paths must start with `/_sandbox/`. */
  readonly adminRoutes?: readonly Route[];
  /**
   * The provider's error envelope, used for answers the framework produces on the provider's
   * behalf (404, 405, 413, 500, and status faults without a body). Default `{message}`.
   */
  readonly errorBody?: (status: number, message: string) => unknown;
  /** Puts provider state back to how it was constructed (called by `reset()`). */
  readonly resetState?: () => void;
  /** Most calls kept; the oldest are dropped beyond it (the local stack can run for days). Default 10 000. */
  readonly journalLimit?: number;
}

export interface StartOptions {
  /** Default 0: the OS picks a free port (no race, unlike asking for one first). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

export interface RunningSandbox {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const ADMIN_PREFIX = '/_sandbox/';
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_JOURNAL_LIMIT = 10_000;

/** Shared helper for admin routes: parse a JSON body with a schema, or produce the 400 to send. */
export const parseAdminBody = <S extends z.ZodType>(
  request: SandboxRequest,
  schema: S,
): { ok: true; value: z.output<S> } | { ok: false; response: SandboxResponse } => {
  if (request.json.kind !== 'ok') {
    const detail = request.json.kind === 'empty' ? 'a JSON body is required' : `invalid JSON: ${request.json.error}`;
    return { ok: false, response: { status: 400, body: { error: detail, issues: [] } } };
  }
  const parsed = schema.safeParse(request.json.value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  return { ok: false, response: { status: 400, body: { error: 'invalid request body', issues } } };
};

// ── The sandbox ─────────────────────────────────────────────────────────────────────────────────

/**
 * A provider sandbox. Provider modules extend it (passing their definition to the constructor) and
 * add their own helpers for tests, e.g. `renewalsFor(email)`.
 */
export class Sandbox {
  readonly provider: string;
  private readonly definition: SandboxDefinition;
  private readonly adminRoutes: readonly Route[];
  private journal: MutableCall[] = [];
  private nextSeq = 1;
  private faultQueue: Fault[] = [];
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private address: { url: string; port: number } | undefined;
  /** Latency timers, cleared on stop so no call is processed after the sandbox stopped. */
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(definition: SandboxDefinition) {
    for (const route of definition.adminRoutes ?? []) {
      if (!route.path.startsWith(ADMIN_PREFIX)) throw new Error(`admin route ${route.path} must be under ${ADMIN_PREFIX}`);
    }
    this.provider = definition.provider;
    this.definition = definition;
    this.adminRoutes = [...this.builtInAdminRoutes(), ...(definition.adminRoutes ?? [])];
  }

  /** Snapshot of the journal, oldest first (copies: later changes to a pending call do not show). */
  calls(): SandboxCall[] {
    return this.journal.map((call) => structuredClone(call));
  }

  clearCalls(): void {
    this.journal = [];
  }

  /** Appends faults to the queue (validated; throws a ZodError on a bad one). Returns them as stored. */
  injectFaults(faults: FaultSpec | readonly FaultSpec[]): Fault[] {
    const parsed = faultListSchema.parse(faults);
    this.faultQueue.push(...parsed);
    return parsed.map((fault) => ({ ...fault }));
  }

  /** Faults not yet used up, in queue order; `count` is how many calls each still applies to. */
  pendingFaults(): Fault[] {
    return this.faultQueue.map((fault) => ({ ...fault }));
  }

  clearFaults(): void {
    this.faultQueue = [];
  }

  /** Journal, faults and provider state back to the start (the sequence number keeps counting). */
  reset(): void {
    this.clearCalls();
    this.clearFaults();
    this.definition.resetState?.();
  }

  /** Base URL while running. */
  get url(): string {
    if (!this.address) throw new Error(`${this.provider} sandbox is not running`);
    return this.address.url;
  }

  async start(options: StartOptions = {}): Promise<RunningSandbox> {
    if (this.server) throw new Error(`${this.provider} sandbox is already running at ${this.address?.url ?? '?'}`);
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error(`${this.provider} sandbox: request handling failed`, error);
        res.destroy();
      });
    });
    // Claimed before the first await, so a concurrent start() fails instead of starting a second server.
    this.server = server;
    const host = options.host ?? '127.0.0.1';
    try {
      await this.closing;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.server = undefined;
      throw error;
    }
    const { port } = server.address() as AddressInfo;
    this.address = { url: `http://${urlHost(host)}:${port}`, port };
    return { url: this.address.url, port, stop: () => this.stop() };
  }

  /**
   * Stops listening and destroys every connection, including sockets held by `timeout` faults and
   * idle keep-alive ones (server.close alone would wait for them forever). Idempotent.
   */
  stop(): Promise<void> {
    const server = this.server;
    if (!server) return this.closing ?? Promise.resolve();
    this.server = undefined;
    this.address = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return this.closing;
  }

  // ── Request handling ──────────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: { text: string; tooLarge: boolean };
    try {
      body = await readBody(req);
    } catch {
      return; // the client went away mid-request: nothing to answer, nothing happened
    }
    // Prefixing the origin keeps a path like "//x" a path instead of a protocol-relative URL.
    const url = new URL(`http://sandbox${req.url ?? '/'}`);
    const request: SandboxRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: flattenHeaders(req),
      rawBody: body.text,
      json: parseJson(body.text),
      ...(req.socket.remoteAddress !== undefined ? { remoteAddress: unmapIPv4(req.socket.remoteAddress) } : {}),
    };

    if (request.path.startsWith(ADMIN_PREFIX) || request.path === ADMIN_PREFIX.slice(0, -1)) {
      writeResponse(res, await this.dispatch(this.adminRoutes, request, (_status, message) => ({ error: message })));
      return;
    }

    const call = this.record(req, request);
    res.once('close', () => {
      if (call.outcome === 'pending') call.outcome = 'aborted';
    });
    const answer = (response: SandboxResponse): void => {
      if (!writeResponse(res, response)) return;
      call.status = response.status;
      call.outcome = 'answered';
    };
    const processCall = async (): Promise<SandboxResponse> => {
      call.processed = true;
      return this.dispatch(this.definition.routes, request, this.errorBody);
    };

    if (body.tooLarge) {
      answer({ status: 413, body: this.errorBody(413, 'Request body too large') });
      return;
    }

    const fault = this.takeFault(call.path);
    call.fault = fault?.kind ?? null;
    switch (fault?.kind) {
      case undefined:
        answer(await processCall());
        return;
      case 'status':
        answer(this.faultResponse(fault));
        return;
      case 'status-after-effect':
        await processCall();
        answer(this.faultResponse(fault));
        return;
      case 'latency': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void processCall().then(answer);
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      case 'timeout':
        // Deliberately nothing: the socket stays open until the client aborts or stop() destroys it.
        call.outcome = 'timeout';
        return;
      case 'reset':
        call.outcome = 'reset';
        req.socket.resetAndDestroy();
        return;
      case 'reset-after-effect':
        await processCall();
        call.outcome = 'reset';
        req.socket.resetAndDestroy();
        return;
    }
  }

  private readonly errorBody = (status: number, message: string): unknown =>
    this.definition.errorBody ? this.definition.errorBody(status, message) : { message };

  private record(req: IncomingMessage, request: SandboxRequest): MutableCall {
    const call: MutableCall = {
      seq: this.nextSeq++,
      at: new Date().toISOString(),
      method: request.method,
      path: req.url ?? '/',
      headers: request.headers,
      body: request.json.kind === 'ok' ? request.json.value : null,
      ...(request.json.kind === 'invalid' ? { rawBody: request.rawBody } : {}),
      status: null,
      outcome: 'pending',
      fault: null,
      processed: false,
    };
    this.journal.push(call);
    const limit = this.definition.journalLimit ?? DEFAULT_JOURNAL_LIMIT;
    if (this.journal.length > limit) this.journal.splice(0, this.journal.length - limit);
    return call;
  }

  /** The first queued fault whose filter matches takes this call; it leaves the queue when used up. */
  private takeFault(path: string): Fault | undefined {
    const index = this.faultQueue.findIndex((fault) => fault.path === undefined || path.includes(fault.path));
    const fault = this.faultQueue[index];
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count === 0) this.faultQueue.splice(index, 1);
    return fault;
  }

  private faultResponse(fault: Extract<Fault, { status: number }>): SandboxResponse {
    return {
      status: fault.status,
      body: fault.body !== undefined ? fault.body : this.errorBody(fault.status, STATUS_CODES[fault.status] ?? 'Error'),
      ...(fault.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(fault.retryAfterSeconds) } } : {}),
    };
  }

  private async dispatch(
    routes: readonly Route[],
    request: SandboxRequest,
    errorBody: (status: number, message: string) => unknown,
  ): Promise<SandboxResponse> {
    const onPath = routes.flatMap((route) => {
      const params = matchPath(route.path, request.path);
      return params ? [{ route, params }] : [];
    });
    const found = onPath.find((candidate) => candidate.route.method === request.method);
    if (!found) {
      if (onPath.length === 0) return { status: 404, body: errorBody(404, 'Not found') };
      const allow = onPath.map((candidate) => candidate.route.method).join(', ');
      return { status: 405, body: errorBody(405, `Method "${request.method}" not allowed.`), headers: { allow } };
    }
    const { route, params } = found;
    try {
      return await route.handler(Object.keys(params).length > 0 ? { ...request, params } : request);
    } catch (error) {
      // A sandbox bug must be visible to whoever runs it, but answered like a provider 500.
      console.error(`${this.provider} sandbox: ${request.method} ${request.path} failed`, error);
      return { status: 500, body: errorBody(500, 'Internal server error') };
    }
  }

  private builtInAdminRoutes(): Route[] {
    const noContent = (action: () => void): RouteHandler => () => {
      action();
      return { status: 204 };
    };
    return [
      { method: 'GET', path: '/_sandbox/health', handler: () => ({ status: 200, body: { status: 'ok', provider: this.provider } }) },
      { method: 'GET', path: '/_sandbox/calls', handler: () => ({ status: 200, body: { calls: this.calls() } }) },
      { method: 'DELETE', path: '/_sandbox/calls', handler: noContent(() => this.clearCalls()) },
      { method: 'GET', path: '/_sandbox/faults', handler: () => ({ status: 200, body: { faults: this.pendingFaults() } }) },
      {
        method: 'POST',
        path: '/_sandbox/faults',
        handler: (request) => {
          // Validate a lone fault as itself, so issue paths read "ms", not "0.ms".
          const isList = request.json.kind === 'ok' && Array.isArray(request.json.value);
          const parsed = isList ? parseAdminBody(request, z.array(faultSchema)) : parseAdminBody(request, faultSchema);
          if (!parsed.ok) return parsed.response;
          return { status: 201, body: { faults: this.injectFaults(parsed.value) } };
        },
      },
      { method: 'DELETE', path: '/_sandbox/faults', handler: noContent(() => this.clearFaults()) },
      { method: 'POST', path: '/_sandbox/reset', handler: noContent(() => this.reset()) },
    ];
  }
}

// ── HTTP helpers ────────────────────────────────────────────────────────────────────────────────

/**
 * Matches a route path against a request path: literal segments exactly, `{name}` segments any one
 * non-empty segment. Returns the decoded parameters, or undefined when the path does not match
 * (including a parameter that is not valid percent-encoding: no route can mean it).
 */
const matchPath = (pattern: string, path: string): Record<string, string> | undefined => {
  if (!pattern.includes('{')) return pattern === path ? {} : undefined;
  const expected = pattern.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of expected.entries()) {
    const given = actual[i] ?? '';
    const name = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment)?.[1];
    if (name === undefined) {
      if (segment !== given) return undefined;
      continue;
    }
    if (given === '') return undefined;
    try {
      params[name] = decodeURIComponent(given);
    } catch {
      return undefined;
    }
  }
  return params;
};

/** `::ffff:127.0.0.1` (how a dual-stack socket reports an IPv4 client) → `127.0.0.1`. */
const unmapIPv4 = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/** Reads the whole body; past the limit it keeps draining (so the 413 can be sent) but stores nothing. */
const readBody = (req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES }));
    req.once('error', reject);
    // 'close' also follows a normal 'end'; only a close before the body was complete is an abort.
    req.once('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });

const parseJson = (text: string): JsonBody => {
  if (text.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown };
  } catch (error) {
    return { kind: 'invalid', error: error instanceof Error ? error.message : String(error) };
  }
};

const flattenHeaders = (req: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
};

/** Writes a JSON answer; false when the client is already gone (nothing was sent). */
const writeResponse = (res: ServerResponse, response: SandboxResponse): boolean => {
  if (res.destroyed || res.headersSent) return false;
  const payload = response.body === undefined ? response.text : JSON.stringify(response.body);
  const headers: Record<string, string | number> = { ...response.headers };
  if (payload !== undefined) {
    headers['content-type'] ??= response.body === undefined ? 'text/plain; charset=utf-8' : 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  res.writeHead(response.status, headers);
  res.end(payload);
  return true;
};

/** A wildcard bind address is reachable on loopback; IPv6 literals need brackets in a URL. */
const urlHost = (host: string): string => {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
};

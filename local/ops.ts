/**
 * `npm run ops -- <command>`: the operator routes from a terminal, as readable tables (README
 * "Operating it"). Against the local stack by default (`PORT`, or `--url`), and a deployed gateway
 * with `--url https://…` and `RENEWALS_OPERATOR_TOKEN` set to an operator token.
 *
 * Exit codes: 0 done; 1 the gateway refused the request (4xx: the problem document is printed);
 * 2 usage (a command or option this CLI does not know, a missing argument); 3 the gateway failed
 * (5xx) or could not be reached.
 */
import { LOCAL_DEFAULTS } from './defaults';
import { splitList } from '../shared/config';
import { startListener, type Listener } from './listen';

export const EXIT = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const;

export const USAGE = `usage: npm run ops -- <command> [options]

  inbox [--status S] [--provider P] [--limit N] [--cursor C]   renewals that are not finished or need a person, oldest first
  show ID                                                      one renewal: attempts, history, what it waits for
  retry ID --note TEXT [--provider-state not_renewed]          back to queued, sent at once
  retry-all --status failed|needs_attention --note TEXT [--provider P] [--created-before T] [--dry-run]
                                                               bulk retry, call after call until done
  resolve ID --outcome succeeded|failed --note TEXT            settled at the provider by hand
  cancel ID --note TEXT                                        stop it for good (releases its period)
  providers                                                    pause, queue depth, dead letters, rate limit, last outcomes
  resume PROVIDER --note TEXT                                  lift a provider's pause
  dead-letters PROVIDER [--limit N]                            what is in its dead-letter queue (not consumed)
  redrive PROVIDER --note TEXT                                 move its dead letters back to its queue
  listen [--port N] [--secret whsec_…] [--types T,T]          receive pushed events: verify, dedupe, print; without a
                                                               secret (or RENEWALS_LISTEN_SECRET) it registers itself as an
                                                               endpoint and deletes it again on Ctrl-C

options: --url URL (default http://127.0.0.1:$PORT, PORT 3000)   --json (print the answer as JSON)
token:   RENEWALS_OPERATOR_TOKEN (default: the first token of RENEWALS_OPERATOR_TOKENS, or the local one)
exit:    0 ok, 1 refused (4xx), 2 usage, 3 server error or unreachable`;

const FLAGS = new Set(['json', 'dry-run']);
const VALUED = new Set(['url', 'note', 'outcome', 'provider-state', 'status', 'provider', 'limit', 'cursor', 'created-before', 'port', 'secret', 'types']);

export interface OpsIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly fetch?: typeof fetch;
  /** `listen` runs until this settles (default: SIGINT or SIGTERM). */
  readonly untilStopped?: (listener: Listener) => Promise<void>;
}

const untilSignal = (): Promise<void> =>
  new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

class UsageError extends Error {}

const parseArgs = (argv: readonly string[]) => {
  const options: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('--')) {
      const [name = '', inline] = a.slice(2).split(/=(.*)/s, 2);
      if (FLAGS.has(name)) flags.add(name);
      else if (VALUED.has(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
        options[name] = value;
      } else throw new UsageError(`unknown option --${name}`);
    } else positional.push(a);
  }
  return { options, flags, positional };
};

/** The operator token: RENEWALS_OPERATOR_TOKEN, else the first of RENEWALS_OPERATOR_TOKENS (name=token), else the local default. */
const tokenOf = (env: OpsIo['env']): string => {
  const direct = env.RENEWALS_OPERATOR_TOKEN?.trim();
  if (direct) return direct;
  const first = splitList(env.RENEWALS_OPERATOR_TOKENS ?? LOCAL_DEFAULTS.RENEWALS_OPERATOR_TOKENS)[0] ?? '';
  const eq = first.indexOf('=');
  return eq < 0 ? first : first.slice(eq + 1);
};

type Json = Record<string, unknown>;
const s = (v: unknown): string => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** A plain-text table: a header, a rule, one line per row, columns padded to their widest cell. */
export const table = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const cut = (cell: string) => (cell.length > 60 ? `${cell.slice(0, 59)}…` : cell);
  const cells = rows.map((r) => r.map(cut));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
};

const ago = (iso: unknown): string => {
  if (typeof iso !== 'string') return '—';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  const abs = Math.abs(seconds);
  const text = abs < 120 ? `${abs}s` : abs < 7200 ? `${Math.round(abs / 60)}m` : abs < 172_800 ? `${Math.round(abs / 3600)}h` : `${Math.round(abs / 86_400)}d`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
};

const renewalRows = (items: readonly Json[]) =>
  table(
    ['id', 'provider', 'status', 'created', 'attempts', 'waiting for', 'reason'],
    items.map((r) => [
      s(r.id),
      s(r.provider),
      s(r.status),
      ago(r.createdAt),
      s(r.attemptCount),
      r.waitingFor ? `${s((r.waitingFor as Json).reason)} until ${s((r.waitingFor as Json).until)}` : '—',
      s(r.statusReason),
    ]),
  );

const renewalDetail = (r: Json): string => {
  const attempts = (r.attempts as Json[] | undefined) ?? [];
  const history = (r.history as Json[] | undefined) ?? [];
  const waiting = r.waitingFor as Json | undefined;
  return [
    `${s(r.id)}  ${s(r.provider)} ${s(r.operation)}  subscription ${s(r.subscription)}`,
    `status      ${s(r.status)}${r.statusReason ? ` — ${s(r.statusReason)}` : ''}`,
    `created     ${s(r.createdAt)} (${ago(r.createdAt)}), updated ${s(r.updatedAt)}`,
    ...(r.nextAttemptAt ? [`next        ${s(r.nextAttemptAt)} (${ago(r.nextAttemptAt)})`] : []),
    ...(waiting ? [`waiting for ${s(waiting.reason)} until ${s(waiting.until)}${waiting.detail ? ` (${s(waiting.detail)})` : ''}`] : []),
    ...(r.duplicateOf ? [`duplicate   of ${s(r.duplicateOf)}`] : []),
    '',
    attempts.length
      ? table(
          ['#', 'started', 'latency', 'http', 'class', 'message'],
          attempts.map((a) => [s(a.number), s(a.startedAt), `${s(a.latencyMs)} ms`, s(a.httpStatus), `${s(a.errorClass)}${a.confirmation ? ` (${s(a.confirmation)})` : ''}`, s(a.message)]),
        )
      : 'no attempts',
    '',
    history.length
      ? table(
          ['action', 'by', 'at', 'from → to', 'note'],
          history.map((h) => [
            `${s(h.action)}${h.outcome ? ` ${s(h.outcome)}` : ''}${h.providerState ? ` (${s(h.providerState)})` : ''}${h.bulk ? ' (bulk)' : ''}`,
            s(h.by),
            s(h.at),
            `${s(h.fromStatus)} → ${s(h.toStatus)}`,
            s(h.note),
          ]),
        )
      : 'no operator history',
  ].join('\n');
};

const providerRows = (items: readonly Json[]) =>
  table(
    ['provider', 'paused', 'queue (visible/in flight/delayed)', 'dead letters', 'oldest queued', 'rate limit', 'last success', 'last failure'],
    items.map((p) => {
      const pause = p.pause as Json | null;
      const q = (p.queue as Json | undefined) ?? {};
      const oldest = p.oldestQueuedRenewal as Json | null;
      return [
        s(p.provider),
        pause ? `until ${s(pause.until)}: ${s(pause.reason)}` : 'no',
        `${s(q.visible)}/${s(q.inFlight)}/${s(q.delayed)}`,
        s(p.deadLetters),
        oldest ? `${s(oldest.ageSeconds)}s (${s(oldest.id)})` : '—',
        s(p.rateLimit ?? 'none'),
        ago(p.lastSuccessAt),
        ago(p.lastFailureAt),
      ];
    }),
  );

const deadLetterRows = (answer: Json) =>
  [
    `${s(answer.count)} message(s) in the ${s(answer.provider)} dead-letter queue`,
    table(
      ['message', 'renewal', 'operation', 'receives', 'first received', 'sent'],
      ((answer.items as Json[] | undefined) ?? []).map((m) => [s(m.messageId), s(m.renewalId), s(m.operation), s(m.receiveCount), s(m.firstReceivedAt), s(m.sentAt)]),
    ),
  ].join('\n');

export const runOps = async (argv: readonly string[], io: OpsIo): Promise<number> => {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return EXIT.usage;
  }
  const { options, flags, positional } = parsed;
  const [command, arg] = positional;
  const usage = (why: string): number => {
    io.err(`${why}\n${USAGE}`);
    return EXIT.usage;
  };
  const need = (what: string): string | undefined => (what === 'ID' || what === 'PROVIDER' ? arg : options[what]);
  const base = options.url ?? `http://127.0.0.1:${io.env.PORT ?? LOCAL_DEFAULTS.PORT}`;
  const doFetch = io.fetch ?? fetch;

  const request = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: Json): Promise<{ code: number; json?: Json }> => {
    let response: Response;
    try {
      response = await doFetch(new URL(path, base), {
        method,
        headers: { authorization: `Bearer ${tokenOf(io.env)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      io.err(`could not reach ${base}: ${cause}${options.url ? '' : ' (is the local stack running? npm start)'}`);
      return { code: EXIT.unavailable };
    }
    const text = await response.text();
    let json: Json | undefined;
    try {
      json = JSON.parse(text) as Json;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const problem = json ?? {};
      const fields = Array.isArray(problem.errors) ? (problem.errors as Json[]).map((e) => `  ${s(e.path)}: ${s(e.message)}`).join('\n') : '';
      io.err(`HTTP ${response.status} ${s(problem.title ?? response.statusText)}: ${s(problem.detail ?? text)}${fields ? `\n${fields}` : ''}`);
      return { code: response.status >= 500 ? EXIT.unavailable : EXIT.refused };
    }
    return { code: EXIT.ok, ...(json ? { json } : {}) };
  };
  const print = (json: Json | undefined, render: (j: Json) => string): void => io.out(flags.has('json') ? JSON.stringify(json ?? null, null, 2) : render(json ?? {}));
  const id = () => encodeURIComponent(arg ?? '');

  switch (command) {
    case 'inbox': {
      const query = new URLSearchParams();
      for (const k of ['status', 'provider', 'limit', 'cursor'] as const) if (options[k]) query.set(k, options[k]);
      const r = await request('GET', `/v1/renewals${query.size ? `?${query}` : ''}`);
      if (r.code !== EXIT.ok) return r.code;
      print(r.json, (j) => {
        const items = (j.items as Json[] | undefined) ?? [];
        const next = j.nextCursor ? `\nmore: npm run ops -- inbox ${argv.filter((a, i) => a !== 'inbox' && argv[i - 1] !== '--cursor' && a !== '--cursor').join(' ')} --cursor ${s(j.nextCursor)}` : '';
        return `${items.length ? renewalRows(items) : 'nothing in the inbox for this filter'}${next}`;
      });
      return EXIT.ok;
    }
    case 'show': {
      if (!need('ID')) return usage('show needs a renewal ID');
      const r = await request('GET', `/v1/renewals/${id()}`);
      if (r.code === EXIT.ok) print(r.json, renewalDetail);
      return r.code;
    }
    case 'retry':
    case 'resolve':
    case 'cancel': {
      if (!need('ID')) return usage(`${command} needs a renewal ID`);
      if (!options.note) return usage(`${command} needs --note (why; it is kept in the renewal's history)`);
      if (command === 'resolve' && !options.outcome) return usage('resolve needs --outcome succeeded|failed');
      const body: Json = {
        note: options.note,
        ...(command === 'resolve' ? { outcome: options.outcome } : {}),
        ...(command === 'retry' && options['provider-state'] ? { providerState: options['provider-state'] } : {}),
      };
      const r = await request('POST', `/v1/renewals/${id()}/${command}`, body);
      if (r.code === EXIT.ok) print(r.json, renewalDetail);
      return r.code;
    }
    case 'retry-all': {
      if (!options.status) return usage('retry-all needs --status failed|needs_attention');
      if (!options.note) return usage('retry-all needs --note');
      const filter: Json = { status: options.status, ...(options.provider ? { provider: options.provider } : {}), ...(options['created-before'] ? { createdBefore: options['created-before'] } : {}) };
      if (flags.has('dry-run')) {
        const r = await request('POST', '/v1/renewals/retry', { filter, note: options.note, dryRun: true });
        if (r.code === EXIT.ok) print(r.json, (j) => `${s(j.count)} renewal(s) match; those whose last outcome is unknown will be skipped (retry them one by one with --provider-state)`);
        return r.code;
      }
      let cursor: unknown = null;
      let retried = 0;
      const skipped: Json[] = [];
      do {
        const r = await request('POST', '/v1/renewals/retry', { filter, note: options.note, ...(cursor ? { cursor } : {}) });
        if (r.code !== EXIT.ok) return r.code;
        retried += Number(r.json?.retried ?? 0);
        skipped.push(...((r.json?.skipped as Json[] | undefined) ?? []));
        cursor = r.json?.nextCursor ?? null;
      } while (cursor);
      print({ retried, skipped }, () => [`retried ${retried}`, skipped.length ? table(['skipped', 'why'], skipped.map((k) => [s(k.id), s(k.reason)])) : 'skipped none'].join('\n'));
      return EXIT.ok;
    }
    case 'providers': {
      const r = await request('GET', '/v1/providers');
      if (r.code === EXIT.ok) print(r.json, (j) => providerRows((j.items as Json[] | undefined) ?? []));
      return r.code;
    }
    case 'resume': {
      if (!need('PROVIDER')) return usage('resume needs a PROVIDER');
      if (!options.note) return usage('resume needs --note');
      const r = await request('POST', `/v1/providers/${id()}/resume`, { note: options.note });
      if (r.code === EXIT.ok) print(r.json, (j) => providerRows([j]));
      return r.code;
    }
    case 'dead-letters': {
      if (!need('PROVIDER')) return usage('dead-letters needs a PROVIDER');
      const r = await request('GET', `/v1/providers/${id()}/dead-letters${options.limit ? `?limit=${encodeURIComponent(options.limit)}` : ''}`);
      if (r.code === EXIT.ok) print(r.json, deadLetterRows);
      return r.code;
    }
    case 'redrive': {
      if (!need('PROVIDER')) return usage('redrive needs a PROVIDER');
      if (!options.note) return usage('redrive needs --note');
      const r = await request('POST', `/v1/providers/${id()}/dead-letters/redrive`, { note: options.note });
      if (r.code === EXIT.ok) print(r.json, (j) => `redrive started: task ${s(j.taskHandle)} (from ${s(j.sourceArn)})`);
      return r.code;
    }
    case 'listen': {
      const port = options.port === undefined ? 0 : Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) return usage('--port needs a port number');
      const given = options.secret ?? io.env.RENEWALS_LISTEN_SECRET?.trim();
      if (given !== undefined && !/^whsec_[A-Za-z0-9+/=]+$/.test(given)) return usage('--secret must be a whsec_… secret');
      const listener = await startListener({ port, secrets: given ? [given] : [], out: io.out });
      let registered: string | undefined;
      try {
        if (!given) {
          const types = options.types ? options.types.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
          const r = await request('POST', '/v1/event-endpoints', { url: listener.url, description: 'npm run ops -- listen', ...(types ? { types } : {}) });
          if (r.code !== EXIT.ok) return r.code;
          registered = s(r.json?.id);
          listener.setSecrets([s(r.json?.secret)]);
          io.out(`registered ${listener.url} as event endpoint ${registered} at ${base}${types ? ` for ${types.join(', ')}` : ''}`);
        }
        io.out(`listening on ${listener.url}: verifying signatures, printing events (Ctrl-C stops${registered ? ' and deletes the endpoint' : ''})`);
        await (io.untilStopped ?? untilSignal)(listener);
        return EXIT.ok;
      } finally {
        if (registered) {
          const r = await request('DELETE', `/v1/event-endpoints/${encodeURIComponent(registered)}`);
          if (r.code === EXIT.ok) io.out(`deleted event endpoint ${registered}`);
        }
        await listener.stop();
      }
    }
    case undefined:
      return usage('no command');
    default:
      return usage(`unknown command ${command}`);
  }
};

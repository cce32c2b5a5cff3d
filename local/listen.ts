/**
 * `npm run ops -- listen`: a receiver of pushed events, for people to try the push delivery (README
 * "Pushing events to endpoints"). Verifies each delivery's Standard Webhooks signature with the
 * `standardwebhooks` library (any of its secrets: a rotation's overlap), answers 401 to one that
 * does not verify, dedupes by `webhook-id` (a redelivery or a replay is answered 200 and not
 * handled again) and prints each new event.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
  /** Whether one of the listener's secrets verified it. */
  readonly verified: boolean;
  /** A webhook-id seen before (not handled again). */
  readonly duplicate: boolean;
}

export interface ReceivedEvent {
  readonly id: string;
  readonly type: string;
  readonly createdAt: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Listener {
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly deliveries: readonly ReceivedDelivery[];
  /** Events verified and handled, once each, in arrival order. */
  readonly events: readonly ReceivedEvent[];
  /** Replaces the secrets it verifies with (e.g. after a rotation: the new one, or both). */
  setSecrets(secrets: readonly string[]): void;
  stop(): Promise<void>;
}

export interface ListenOptions {
  readonly port?: number;
  readonly host?: string;
  readonly secrets: readonly string[];
  /** Webhook-ids already handled (a listener started again after a stop keeps deduping). */
  readonly seen?: Set<string>;
  readonly out?: (line: string) => void;
}

const MAX_BODY = 1024 * 1024;

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));

export const startListener = async (options: ListenOptions): Promise<Listener> => {
  let secrets = [...options.secrets];
  const seen = options.seen ?? new Set<string>();
  const deliveries: ReceivedDelivery[] = [];
  const events: ReceivedEvent[] = [];
  const out = options.out ?? (() => undefined);

  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const body = await readBody(req);
      const headers = { 'webhook-id': one(req.headers['webhook-id']), 'webhook-timestamp': one(req.headers['webhook-timestamp']), 'webhook-signature': one(req.headers['webhook-signature']) };
      let parsed: unknown;
      let verified = false;
      for (const secret of secrets) {
        try {
          parsed = new Webhook(secret).verify(body, headers);
          verified = true;
          break;
        } catch {
          // try the next secret
        }
      }
      const duplicate = verified && seen.has(headers['webhook-id']);
      deliveries.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, verified, duplicate });
      if (!verified) {
        out(`${new Date().toISOString()}  REJECTED ${headers['webhook-id'] || '(no webhook-id)'}: the signature does not verify with the secret(s) given`);
        res.writeHead(401, { 'content-type': 'text/plain' }).end('signature does not verify');
        return;
      }
      if (duplicate) {
        out(`${new Date().toISOString()}  duplicate ${headers['webhook-id']} (already handled)`);
        res.writeHead(200).end();
        return;
      }
      seen.add(headers['webhook-id']);
      const event = parsed as ReceivedEvent;
      events.push(event);
      const d = event.data;
      out(`${new Date().toISOString()}  ${event.type.padEnd(24)} ${String(d.id ?? '')}  ${[d.provider, d.status, d.reason].filter((v) => typeof v === 'string').join('  ')}  (${event.id})`);
      res.writeHead(204).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    port,
    deliveries,
    events,
    setSecrets: (next) => {
      secrets = [...next];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

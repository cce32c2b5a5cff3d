/**
 * SQS-compatible HTTP endpoint speaking the AWS JSON 1.0 protocol, for the local stack and the
 * integration tests (no maintained SQS emulator installs from the registries available here).
 *
 * Wire format, as `@aws-sdk/client-sqs` v3 uses it: `POST /` with `X-Amz-Target:
 * AmazonSQS.<Operation>` and a JSON body; JSON responses with content type
 * `application/x-amz-json-1.0`; errors as `{"__type": "com.amazonaws.sqs#<Shape>", "message"}`
 * plus the `x-amzn-query-error: <QueryCode>;Sender` header the SDK needs to pick its named
 * exception classes (see ./errors). Signatures are not checked: any credentials are accepted.
 *
 * Queue URLs point at this server (`http://127.0.0.1:PORT/000000000000/<name>`) because the SDK
 * sends requests to the QueueUrl's origin when the client has no explicit endpoint.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SqsError, serializationException } from './errors';
import { SqsEngine, type Json } from './engine';

export interface SqsServerOptions {
  /** 0 or absent: any free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Clock in epoch milliseconds (timestamps, visibility, delays, retention). */
  now?: () => number;
  /** Region in queue ARNs; default us-east-1. */
  region?: string;
}

export interface SqsServer {
  /** e.g. http://127.0.0.1:PORT — use as the SQSClient `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Ends pending long polls, closes every connection, resolves once the server is closed. */
  stop(): Promise<void>;
  /** Requests served per operation since start or the last resetStats(), e.g. { SendMessage: 3 }. */
  stats(): Record<string, number>;
  resetStats(): void;
}

/** Well above the largest legal request (10 × 1 MiB batch, base64 attributes) to stop runaway bodies. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AmazonSQS.';

export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const counts = new Map<string, number>();
  let stopping = false;
  // The port (and so the queue URLs' origin) is only known once listening; no request arrives before.
  let endpoint = '';
  const sqs = new SqsEngine({ origin: () => endpoint, region: options.region ?? 'us-east-1', now });

  const server = createServer((req, res) => handleRequest(req, res));

  // Decided when the response is written (a long poll may outlive the start of stop()), so
  // keep-alive sockets close right after their last response instead of holding up close().
  function closeIfStopping(res: ServerResponse): void {
    if (stopping) res.setHeader('Connection', 'close');
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    closeIfStopping(res);
    if (req.method !== 'POST') {
      // A plain GET answers as a readiness probe for the local stack runner.
      sendJson(res, req.method === 'GET' ? 200 : 405, { status: req.method === 'GET' ? 'ok' : 'method not allowed' }, requestId);
      return;
    }
    const target = headerValue(req, 'x-amz-target');
    if (!target?.startsWith(TARGET_PREFIX)) {
      req.resume();
      sendError(
        res,
        new SqsError(
          'InvalidAction',
          'Only the AWS JSON 1.0 protocol is supported (X-Amz-Target: AmazonSQS.<Operation>); use @aws-sdk/client-sqs v3.',
        ),
        requestId,
      );
      return;
    }
    const operation = target.slice(TARGET_PREFIX.length);
    counts.set(operation, (counts.get(operation) ?? 0) + 1);

    const closed = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) closed.abort();
    });

    readBody(req)
      .then((text) => {
        const input = parseInput(text);
        return sqs.handle(operation, input, { signal: closed.signal, senderId: senderId(req) });
      })
      .then(
        (output) => {
          if (res.destroyed) return;
          closeIfStopping(res);
          sendJson(res, 200, output, requestId);
        },
        (error: unknown) => {
          if (res.destroyed) return;
          closeIfStopping(res);
          if (error instanceof SqsError) {
            sendError(res, error, requestId);
          } else {
            console.error(`local SQS: ${operation} failed`, error);
            sendError(res, new SqsError('InternalFailure', 'The request processing has failed because of an unknown error.', 'InternalFailure', 500, false), requestId);
          }
        },
      );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Queue URLs must be reachable: a wildcard listen address is not a host a client can dial.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  endpoint = `http://${urlHost}:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stats: () => Object.fromEntries(counts),
    resetStats: () => counts.clear(),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        stopping = true;
        // Answer pending long polls (empty) first, so clients get a response rather than a reset.
        sqs.shutdown();
        server.close(() => resolve());
        server.closeIdleConnections();
        // Whatever is still open shortly after (a request mid-upload, a client that ignores
        // Connection: close) is cut, so stop() never hangs on a client.
        setTimeout(() => server.closeAllConnections(), 100).unref();
      });
      return stopped;
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * SenderId for sent messages: the access key id from the SigV4 Authorization header (real SQS
 * reports the principal's id; an access key id is the closest thing a local endpoint knows).
 */
function senderId(req: IncomingMessage): string {
  const auth = headerValue(req, 'authorization') ?? '';
  return /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? 'AIDALOCALSQSSENDER';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(serializationException('Request body too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseInput(text: string): Json {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw serializationException('Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw serializationException('Request body must be a JSON object.');
  }
  return parsed as Json;
}

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
    ...headers,
  });
  res.end(payload);
}

function sendError(res: ServerResponse, error: SqsError, requestId: string): void {
  sendJson(res, error.status, { __type: `com.amazonaws.sqs#${error.code}`, message: error.message }, requestId, {
    'x-amzn-query-error': `${error.queryCode};${error.senderFault ? 'Sender' : 'Receiver'}`,
  });
}

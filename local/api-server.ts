/**
 * The local HTTP API: what API Gateway (HTTP API, payload format 2.0) does in AWS. It matches the
 * routes of the system description, builds the same event the handlers get in AWS, and writes
 * their structured result back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { routeKey, type FunctionId, type RouteDescription } from '../shared/system';
import { lambdaContext } from './lambda-context';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's own payload limit; the intake function enforces the 64 KiB contract below it. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly route: RouteDescription;
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

const compile = (route: RouteDescription): CompiledRoute => {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params };
};

const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= API_GATEWAY_MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > API_GATEWAY_MAX_BODY ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });

const send = (res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void => {
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string> | undefined);
  res.end(result.body ?? '');
};

const problem = (status: number, title: string, detail: string, errors?: ReadonlyArray<{ path: string; message: string }>): APIGatewayProxyStructuredResultV2 => ({
  statusCode: status,
  headers: { 'content-type': 'application/problem+json' },
  body: JSON.stringify({ type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) }),
});

/**
 * Headers as payload format 2.0 has them: names lowercased, a repeated header's values joined with
 * commas (no space), cookies moved to `cookies`. Node's own `req.headers` would keep only the first
 * of some repeated headers (authorization, content-type, user-agent…) and join others with ", ".
 */
export const gatewayHeaders = (req: Pick<IncomingMessage, 'headersDistinct'>): { headers: Record<string, string>; cookies: string[] } => {
  const headers = new Map<string, string>();
  const cookies: string[] = [];
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values) continue;
    if (name === 'cookie') cookies.push(...values.flatMap((v) => v.split(/;\s*/)).filter((c) => c !== ''));
    else headers.set(name, values.join(','));
  }
  // fromEntries: a name such as __proto__ becomes an own property, not the prototype.
  return { headers: Object.fromEntries(headers), cookies };
};

/** Query parameters as payload format 2.0 has them: a repeated parameter's values joined with commas (`a=1&a=2` → `1,2`). */
export const gatewayQuery = (params: URLSearchParams): Record<string, string> => {
  const query = new Map<string, string>();
  for (const [name, value] of params) {
    const seen = query.get(name);
    query.set(name, seen === undefined ? value : `${seen},${value}`);
  }
  return Object.fromEntries(query);
};

/** A path parameter decoded, or undefined when its percent-encoding is malformed (`%`, `%zz`, a cut UTF-8 sequence). */
const decodePathSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export const startApiServer = async (options: {
  port: number;
  host?: string;
  routes: readonly RouteDescription[];
  handlers: Readonly<Partial<Record<FunctionId, { handler: HttpHandler; timeoutMs: number }>>>;
  /** Local-only operations (`METHOD /_local/...`), e.g. running the scheduler on demand. */
  localRoutes?: Readonly<Record<string, () => Promise<unknown>>>;
  onError?: (error: unknown) => void;
}): Promise<ApiServer> => {
  const compiled = options.routes.map(compile);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      const local = options.localRoutes?.[`${method} ${url.pathname}`];
      if (local) {
        await readBody(req);
        return send(res, { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(await local()) });
      }
      const match = compiled
        .filter((c) => c.route.method === method)
        .map((c) => ({ c, m: c.pattern.exec(url.pathname) }))
        .find((x) => x.m);
      if (!match?.m) return send(res, problem(404, 'Not found', `No route ${method} ${url.pathname}.`));
      const fn = options.handlers[match.c.route.functionId];
      if (!fn) return send(res, problem(502, 'Bad gateway', `Function ${match.c.route.functionId} is not running.`));

      const body = await readBody(req);
      if (body === 'too-large') return send(res, problem(413, 'Payload too large', 'Request body exceeds 10 MB.'));
      const { headers, cookies } = gatewayHeaders(req);
      const pathParameters: Record<string, string> = {};
      for (const [i, p] of match.c.params.entries()) {
        const decoded = decodePathSegment(match.m[i + 1] ?? '');
        if (decoded === undefined) {
          return send(res, problem(400, 'Malformed request', `The path segment for ${p} is not valid percent-encoding.`, [{ path: `path.${p}`, message: 'is not valid percent-encoding' }]));
        }
        pathParameters[p] = decoded;
      }
      const query = gatewayQuery(url.searchParams);
      const now = new Date();
      const event: APIGatewayProxyEventV2 = {
        version: '2.0',
        routeKey: routeKey(match.c.route),
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        ...(cookies.length > 0 ? { cookies } : {}),
        headers,
        ...(url.search ? { queryStringParameters: query } : {}),
        ...(match.c.params.length ? { pathParameters } : {}),
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: headers.host ?? 'localhost',
          domainPrefix: 'local',
          http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
          requestId: randomUUID(),
          routeKey: routeKey(match.c.route),
          stage: '$default',
          time: now.toUTCString(),
          timeEpoch: now.getTime(),
        },
        // Text as text; bytes that are not UTF-8 base64-encoded, so the function gets them exactly.
        ...(body.length > 0 ? { body: isUtf8(body) ? body.toString('utf8') : body.toString('base64') } : {}),
        isBase64Encoded: body.length > 0 && !isUtf8(body),
      };
      send(res, await fn.handler(event, lambdaContext(match.c.route.functionId, fn.timeoutMs)));
    })().catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) send(res, problem(500, 'Internal error', 'The local API failed; see the stack log.'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

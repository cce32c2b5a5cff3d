/**
 * RFC 9457 problem documents and the HTTP errors that become them.
 * An HttpError's detail is written for the caller; anything that is not an HttpError becomes a
 * generic 500 whose detail is logged, never returned (middy's http-error-handler does the same).
 */

export interface FieldError {
  /** Dotted path of the field in the request body, e.g. `email` or `params.startTime`. */
  readonly path: string;
  readonly message: string;
}

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
}

const TYPE_BASE = 'https://renewal-gateway.dev/problems/';

export class HttpError extends Error {
  readonly status: number;
  readonly problemType: string;
  readonly title: string;
  readonly errors?: readonly FieldError[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    problemType: string,
    title: string,
    detail: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.problemType = problemType;
    this.title = title;
    if (options.errors) this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  toProblem(instance?: string): ProblemDocument {
    return {
      type: `${TYPE_BASE}${this.problemType}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const badRequest = (detail: string, errors?: readonly FieldError[]): HttpError =>
  new HttpError(400, 'malformed-request', 'Malformed request', detail, errors ? { errors } : {});

export const unprocessable = (errors: readonly FieldError[]): HttpError =>
  new HttpError(
    422,
    'validation-failed',
    'Request failed validation',
    `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation: ${errors.map((e) => e.path).join(', ')}`,
    { errors },
  );

export const unauthorized = (detail: string, scheme?: 'Bearer'): HttpError =>
  new HttpError(401, 'unauthorized', 'Unauthorized', detail, scheme ? { headers: { 'www-authenticate': 'Bearer' } } : {});

export const forbidden = (detail: string): HttpError => new HttpError(403, 'forbidden', 'Forbidden', detail);

/** An operator action that does not apply to the renewal as it is (its status, an unknown outcome…). */
export const actionConflict = (detail: string, errors?: readonly FieldError[]): HttpError =>
  new HttpError(409, 'action-not-applicable', 'Action does not apply', detail, errors ? { errors } : {});

export const notFound = (detail: string): HttpError => new HttpError(404, 'not-found', 'Not found', detail);

export const conflict = (detail: string): HttpError =>
  new HttpError(409, 'idempotency-key-reused', 'Idempotency key reused with a different request', detail);

/** A signed message (its webhook-id) was first accepted with something else outside the signature. */
export const webhookIdReused = (): HttpError =>
  new HttpError(
    409,
    'webhook-id-reused',
    'Webhook id reused for a different request',
    'This webhook-id was accepted before for a different request: something the signature does not cover (path, query, Idempotency-Key, Authorization) differs. A signed message only ever does what it first asked for; send a new message with its own webhook-id.',
    { errors: [{ path: 'headers.webhook-id', message: 'was first accepted for a different request' }] },
  );

export const payloadTooLarge = (limit: number): HttpError =>
  new HttpError(413, 'payload-too-large', 'Payload too large', `The request body exceeds ${limit} bytes.`);

export const unsupportedMediaType = (received: string | undefined): HttpError =>
  new HttpError(
    415,
    'unsupported-media-type',
    'Unsupported media type',
    `Send the body as application/json (received ${received ? JSON.stringify(received) : 'no Content-Type'}).`,
  );

export const serviceUnavailable = (detail: string, retryAfterSeconds = 1, cause?: unknown): HttpError =>
  new HttpError(503, 'temporarily-unavailable', 'Temporarily unavailable', detail, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    ...(cause === undefined ? {} : { cause }),
  });

export const notImplemented = (detail: string): HttpError =>
  new HttpError(501, 'provider-not-enabled', 'Provider not enabled', detail);

export const internalError = (): HttpError =>
  new HttpError(500, 'internal-error', 'Internal error', 'The request could not be processed; it has been logged.');

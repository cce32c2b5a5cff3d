/**
 * Middy middleware for the HTTP functions: every error leaves as an RFC 9457 problem document.
 * HttpErrors carry a detail written for the caller; anything else is logged and answered with a
 * generic 500, so stack traces and internal messages never reach a response.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '../logger';
import { HttpError, internalError } from './problem';

export const problemResponse = (error: HttpError, instance?: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode: error.status,
  headers: { 'content-type': 'application/problem+json', ...error.headers },
  body: JSON.stringify(error.toProblem(instance)),
});

export const jsonResponse = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const problemDocuments = (
  logger: Logger,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: function problemDocumentsOnError(request) {
    const error = request.error;
    const instance = request.event.requestContext?.requestId;
    if (error instanceof HttpError) {
      // The instance id is in the 5xx problem document: it finds this line in the logs.
      if (error.status >= 500) logger.error('request failed', { instance, status: error.status, detail: error.message, cause: String(error.cause ?? '') });
      else logger.info('request refused', { status: error.status, problem: error.problemType, fields: error.errors?.map((e) => e.path) });
      request.response = problemResponse(error, instance);
      return;
    }
    logger.error('unhandled error', { instance, error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
    request.response = problemResponse(internalError(), instance);
  },
});

/**
 * An HTTP function: every log line carries the Lambda context (request id, cold start), and every
 * error leaves as a problem document.
 */
export const httpFunction = (logger: Logger) =>
  middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().use(injectLambdaContext(logger)).use(problemDocuments(logger));

/** Header lookup that ignores case (API Gateway v2 lowercases, local callers may not). */
export const header = (event: APIGatewayProxyEventV2, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
};

/** The body exactly as sent: signatures are computed over these bytes. */
export const rawBody = (event: APIGatewayProxyEventV2): Buffer =>
  event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

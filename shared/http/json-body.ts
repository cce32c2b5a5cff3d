/**
 * JSON bodies of the operator routes: bearer-token routes with no signature over the raw bytes,
 * so `@middy/http-json-body-parser` parses them (the signed routes cannot use it: their signature
 * covers the bytes, which must be checked before anything is parsed). Its errors leave as our
 * problem documents: 413 over the size limit (checked first), 415 when `Content-Type` is not JSON,
 * 400 when the body is missing or is not JSON. The parsed body replaces `event.body`; read it with
 * `parsedBody(event)`.
 */
import jsonBodyParser from '@middy/http-json-body-parser';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { badRequest, payloadTooLarge, unsupportedMediaType } from './problem';
import { header, rawBody } from './middleware';

/** Operator bodies are a note and a few fields. */
export const OPERATOR_MAX_BODY_BYTES = 16 * 1024;

/** Parses the body of every request with a method in `methods` (the others carry none). */
export const jsonBody = (
  methods: readonly string[] = ['POST'],
  maxBytes = OPERATOR_MAX_BODY_BYTES,
  /** Route keys whose body is optional (`POST /v1/event-endpoints/{id}/rotate-secret`): an empty one is left undefined. */
  bodyOptional: ReadonlySet<string> = new Set(),
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => {
  const parser = jsonBodyParser<APIGatewayProxyEventV2>();
  return {
    before: async function operatorJsonBody(request) {
      const event = request.event;
      if (!methods.includes(event.requestContext?.http?.method ?? '')) return;
      const size = rawBody(event).length;
      if (size > maxBytes) throw payloadTooLarge(maxBytes);
      // The parser reads `content-type` as API Gateway sends it (lowercase); a local caller may not.
      const contentType = header(event, 'content-type');
      if (contentType !== undefined) event.headers = { ...event.headers, 'content-type': contentType };
      if (size === 0) {
        if (bodyOptional.has(event.routeKey)) return;
        if (contentType === undefined || !/^application\/(.+\+)?json($|;.+)/.test(contentType)) throw unsupportedMediaType(contentType);
        throw badRequest('Send a JSON object as the body.', [{ path: 'body', message: 'is required' }]);
      }
      try {
        await parser.before?.(request as Parameters<NonNullable<typeof parser.before>>[0]);
      } catch (error) {
        const status = typeof error === 'object' && error !== null && 'statusCode' in error ? error.statusCode : undefined;
        const message = error instanceof Error ? error.message : '';
        if (status === 415 && message === 'Unsupported Media Type') throw unsupportedMediaType(contentType);
        // The parser answers malformed JSON with 415 too; it is a malformed request.
        throw badRequest('The body is not valid JSON.', [{ path: 'body', message: 'is not valid JSON' }]);
      }
    },
  };
};

/** The body as the parser left it (any JSON value), or undefined for a request without one. */
export const parsedBody = (event: APIGatewayProxyEventV2): unknown => (event as { body?: unknown }).body;

/**
 * Bearer-token authentication as a middleware, before any body is parsed: 401 without a valid
 * token, 403 for a read token on a route that needs an operator. The caller is then available to
 * the handler (`callerOf`), by name for operators (history entries record it; never the token).
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { BearerCheck, Caller } from './auth';
import { header } from './middleware';

const callers = new WeakMap<APIGatewayProxyEventV2, Caller>();

export const bearerAuth = (
  check: BearerCheck,
  /** Route keys (`POST /v1/renewals/{id}/retry`) that need an operator token; every other needs a read or operator token. */
  operatorRoutes: ReadonlySet<string>,
  /** Route keys that need no token at all (`GET /openapi.json`). */
  publicRoutes: ReadonlySet<string> = new Set(),
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  before: async function bearerAuthBefore(request) {
    const event = request.event;
    if (publicRoutes.has(event.routeKey)) return;
    callers.set(event, await check(header(event, 'authorization'), operatorRoutes.has(event.routeKey) ? 'operator' : 'read'));
  },
});

/** The authenticated caller of this request (set by `bearerAuth`). */
export const callerOf = (event: APIGatewayProxyEventV2): Caller => {
  const caller = callers.get(event);
  if (!caller) throw new Error('bearerAuth did not run for this request');
  return caller;
};

/** The operator's name, for a route that `bearerAuth` checked needs an operator. */
export const operatorName = (event: APIGatewayProxyEventV2): string => {
  const caller = callerOf(event);
  if (caller.role !== 'operator') throw new Error('this route needs an operator token');
  return caller.name;
};

/**
 * Log lines of the HTTP functions carry the Lambda context (request id, cold start), and a 5xx
 * logs the `instance` id its problem document shows, so a caller's report finds the log line.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStatusHandler } from '../../functions/status/app';
import type { InboxReader, RenewalStore } from '../../shared/adapters/renewal-store';
import type { ProviderStates } from '../../shared/adapters/provider-health';
import type { EventLog } from '../../shared/adapters/event-log';
import { createLogger } from '../../shared/logger';
import { lambdaContext } from '../../local/lambda-context';

const event = (requestId: string): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'GET /v1/renewals/{id}',
    rawPath: '/v1/renewals/rnw_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    rawQueryString: '',
    headers: { authorization: 'Bearer t' },
    pathParameters: { id: 'rnw_aaaaaaaaaaaaaaaaaaaaaaaaaa' },
    requestContext: { requestId },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

/** Every JSON object the logger printed (pretty-printed through the console in tests). */
const captureLogs = (): Record<string, unknown>[] => {
  const lines: Record<string, unknown>[] = [];
  for (const method of ['info', 'warn', 'error', 'debug', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      for (const arg of args) if (typeof arg === 'string' && arg.trimStart().startsWith('{')) lines.push(JSON.parse(arg) as Record<string, unknown>);
    });
  }
  return lines;
};

afterEach(() => vi.restoreAllMocks());

/** Parts of the status function these requests never reach. */
const unused = { inbox: {} as InboxReader, states: {} as ProviderStates, events: {} as EventLog, openapiDocument: () => Promise.reject(new Error('not read here')) };

describe('HTTP function logs', () => {
  it('a 500 logs its instance id with the Lambda request id and cold start; the response shows no internals', async () => {
    const logs = captureLogs();
    const store = { get: () => Promise.reject(new Error('table exploded: arn:aws:dynamodb:secret-detail')) } as unknown as RenewalStore;
    const handler = createStatusHandler({ ...unused, store, checkToken: () => Promise.resolve({ role: 'read' }), logger: createLogger('status', 'INFO') });
    const context: Context = lambdaContext('status', 10_000);

    const response = (await handler(event('api-request-1'), context)) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(500);
    const problem = JSON.parse(String(response.body)) as { instance?: string; detail: string };
    expect(problem.instance).toBe('api-request-1');
    expect(String(response.body)).not.toContain('exploded');
    const line = logs.find((l) => l.level === 'ERROR');
    expect(line).toMatchObject({ instance: 'api-request-1', function_request_id: context.awsRequestId, function_name: 'status' });
    expect(typeof line?.cold_start).toBe('boolean');
  });

  it('a refused request logs at INFO with the request id too', async () => {
    const logs = captureLogs();
    const handler = createStatusHandler({
      ...unused,
      store: {} as RenewalStore,
      checkToken: () => Promise.resolve({ role: 'read' }),
      logger: createLogger('status', 'INFO'),
    });
    const context = lambdaContext('status', 10_000);
    const response = (await handler({ ...event('api-request-2'), pathParameters: { id: 'not-an-id' } }, context)) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(404);
    expect(logs.find((l) => l.message === 'request refused')).toMatchObject({ function_request_id: context.awsRequestId, status: 404 });
  });
});

/** Consumer settings that change what the engine believes: read and range-checked at cold start. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { loadConsumerDeps } from '../../shared/consumer/config';
import { createLogger } from '../../shared/logger';
import { call as pressone } from '../../shared/providers/pressone/call';

const env = {
  TABLE_NAME: 't',
  PRESSONE_BASE_URL: 'http://127.0.0.1:9',
  PRESSONE_QUEUE_URL: 'http://127.0.0.1:9/000000000000/q',
  PRESSONE_API_KEY: 'k',
};
const load = (extra: Record<string, string> = {}) =>
  loadConsumerDeps('pressone', { ...env, ...extra }, { dynamo: new DynamoDBClient({ region: 'us-east-1' }), sqs: new SQSClient({ region: 'us-east-1' }) }, createLogger('t', 'SILENT'));

describe('CONFIRMATION_SETTLE_SECONDS', () => {
  it("defaults to the provider's own settle window (PressOne: 5 minutes)", async () => {
    const deps = await load();
    expect(deps.settleMs).toBeUndefined();
    expect(pressone.confirmation?.settleMs).toBe(300_000);
  });

  it('overrides it, in whole seconds up to one SQS delay (900 s)', async () => {
    expect((await load({ CONFIRMATION_SETTLE_SECONDS: '7' })).settleMs).toBe(7_000);
    expect((await load({ CONFIRMATION_SETTLE_SECONDS: '0' })).settleMs).toBe(0);
    for (const bad of ['901', '-1', '1.5', 'soon']) {
      await expect(load({ CONFIRMATION_SETTLE_SECONDS: bad }), bad).rejects.toThrow(/CONFIRMATION_SETTLE_SECONDS/);
    }
  });
});

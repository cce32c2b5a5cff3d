/** Consumer settings that change what the engine believes: read and range-checked at cold start. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { loadConsumerDeps } from '../../shared/consumer/config';
import { createLogger } from '../../shared/logger';
import { call as pressone } from '../../shared/providers/pressone/call';
import { DEFAULT_RETRY_POLICY } from '../../shared/domain/retry';

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

describe('tuning: PROVIDER_CALL_TIMEOUT_MS, RENEWAL_MAX_ATTEMPTS, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS (also checked by cdk synth)', () => {
  it('defaults to a 10 s call and the default retry policy', async () => {
    const deps = await load();
    expect(deps.callTimeoutMs).toBe(10_000);
    expect(deps.retry).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('reads them', async () => {
    const deps = await load({ PROVIDER_CALL_TIMEOUT_MS: '8000', RENEWAL_MAX_ATTEMPTS: '5', RETRY_BASE_DELAY_MS: '1000', RETRY_MAX_DELAY_MS: '60000' });
    expect(deps.callTimeoutMs).toBe(8_000);
    expect(deps.retry).toEqual({ maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000 });
  });

  it('refuses a retry base delay above the ceiling, naming both', async () => {
    await expect(load({ RETRY_BASE_DELAY_MS: '60000', RETRY_MAX_DELAY_MS: '1000' })).rejects.toThrow(
      /RETRY_BASE_DELAY_MS \(60000\) must not exceed RETRY_MAX_DELAY_MS \(1000\)/,
    );
    await expect(load({ RETRY_MAX_DELAY_MS: '1000' }), 'against the default base').rejects.toThrow(/RETRY_BASE_DELAY_MS/);
  });

  it('refuses a call timeout that is not below the function timeout, or attempts below 1', async () => {
    await expect(load({ PROVIDER_CALL_TIMEOUT_MS: '30000' })).rejects.toThrow(/PROVIDER_CALL_TIMEOUT_MS/);
    await expect(load({ RENEWAL_MAX_ATTEMPTS: '0' })).rejects.toThrow(/RENEWAL_MAX_ATTEMPTS/);
  });
});

/**
 * Secrets are not read once per cold start: a warm function re-reads a secret once its cached
 * value is older than SECRETS_MAX_AGE_SECONDS, so a rotated or revoked webhook secret, read token
 * or provider key takes effect within that time. Real Secrets Manager client and Powertools
 * Parameters, against a stand-in Secrets Manager over HTTP.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, createSecretReader, SECRET_PLACEHOLDER, type Env } from '../../shared/config';
import { loadReadTokenCheck, loadWebhookVerifier } from '../../shared/http/auth';
import { HttpError } from '../../shared/http/problem';
import { loadConsumerDeps } from '../../shared/consumer/config';
import { createLogger } from '../../shared/logger';
import { signedHeaders } from '../../local/webhook-client';
import { startFakeSecretsManager, type FakeSecretsManager } from '../support/fake-secrets-manager';

const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;
const whsec = (seed: string) => `whsec_${Buffer.from(seed.padEnd(32, '.')).toString('base64')}`;
const MAX_AGE_SECONDS = 1;

let sm: FakeSecretsManager;
let client: SecretsManagerClient;
let env: Env;

beforeAll(async () => {
  sm = await startFakeSecretsManager();
  client = new SecretsManagerClient({ endpoint: sm.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  client?.destroy();
  await sm?.close();
});
beforeEach(() => {
  sm.failing = false;
  sm.set(arn('RENEWALS_WEBHOOK_SECRETS'), whsec('old'));
  sm.set(arn('RENEWALS_READ_TOKENS'), 'token-old');
  sm.set(arn('PRESSONE_API_KEY'), 'key-old');
  env = {
    SECRETS_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS),
    RENEWALS_WEBHOOK_SECRETS_SECRET_ARN: arn('RENEWALS_WEBHOOK_SECRETS'),
    RENEWALS_READ_TOKENS_SECRET_ARN: arn('RENEWALS_READ_TOKENS'),
    PRESSONE_API_KEY_SECRET_ARN: arn('PRESSONE_API_KEY'),
  };
});

/** Whether a check passes (true), refuses with a 401 (false); anything else fails the test. */
const passes = async (check: () => Promise<void>): Promise<boolean> => {
  try {
    await check();
    return true;
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) return false;
    throw error;
  }
};

/** Polls until `condition` holds; the cached value expires after MAX_AGE_SECONDS. */
const eventually = async (condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('a rotated secret takes effect after SECRETS_MAX_AGE_SECONDS, without a cold start', () => {
  it('read tokens: the revoked one is refused and the new one accepted', async () => {
    const check = await loadReadTokenCheck(createSecretReader(env, { secrets: client }));
    expect(await passes(() => check('Bearer token-old'))).toBe(true);
    sm.set(arn('RENEWALS_READ_TOKENS'), 'token-new');
    await eventually(() => passes(() => check('Bearer token-new')));
    expect(await passes(() => check('Bearer token-old'))).toBe(false);
  });

  it('within the cache age the value read stands (the documented delay), with no read per request', async () => {
    const check = await loadReadTokenCheck(createSecretReader({ ...env, SECRETS_MAX_AGE_SECONDS: '300' }, { secrets: client }));
    const readsBefore = sm.reads.get(arn('RENEWALS_READ_TOKENS'));
    sm.set(arn('RENEWALS_READ_TOKENS'), 'token-new');
    for (let i = 0; i < 20; i++) {
      expect(await passes(() => check('Bearer token-old'))).toBe(true);
      expect(await passes(() => check('Bearer token-new'))).toBe(false);
    }
    expect(sm.reads.get(arn('RENEWALS_READ_TOKENS'))).toBe(readsBefore);
  });

  it('webhook secrets: a signature by the rotated-out secret stops verifying; both verify while both are listed', async () => {
    const verify = await loadWebhookVerifier(createSecretReader(env, { secrets: client }));
    const signedBy = (secret: string) => () => {
      const body = '{"email":"jane@example.com"}';
      const h = signedHeaders(secret, body);
      return verify(Buffer.from(body), { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] });
    };
    expect(await passes(signedBy(whsec('old')))).toBe(true);
    sm.set(arn('RENEWALS_WEBHOOK_SECRETS'), `${whsec('new')} ${whsec('old')}`);
    await eventually(() => passes(signedBy(whsec('new'))));
    expect(await passes(signedBy(whsec('old')))).toBe(true);
    sm.set(arn('RENEWALS_WEBHOOK_SECRETS'), whsec('new'));
    await eventually(async () => !(await passes(signedBy(whsec('old')))));
    expect(await passes(signedBy(whsec('new')))).toBe(true);
  });

  it('provider keys: each batch gets the current key, read from Secrets Manager at most once per age', async () => {
    const deps = await loadConsumerDeps(
      'pressone',
      { ...env, TABLE_NAME: 'unused', PRESSONE_BASE_URL: 'http://127.0.0.1:9', PRESSONE_QUEUE_URL: 'http://127.0.0.1:9/000000000000/q' },
      { dynamo: new DynamoDBClient({ region: 'us-east-1' }), sqs: new SQSClient({ region: 'us-east-1' }), secrets: client },
      createLogger('test', 'SILENT'),
    );
    const currentKey = async () => (await deps.currentConfig?.())?.secrets.PRESSONE_API_KEY;
    expect(deps.config.secrets.PRESSONE_API_KEY).toBe('key-old');
    const readsBefore = sm.reads.get(arn('PRESSONE_API_KEY')) ?? 0;
    for (let i = 0; i < 20; i++) expect(await currentKey()).toBe('key-old');
    // Twenty batches cost one read at most (the cached value may expire once while they run).
    expect(sm.reads.get(arn('PRESSONE_API_KEY'))).toBeLessThanOrEqual(readsBefore + 1);
    sm.set(arn('PRESSONE_API_KEY'), 'key-new');
    await eventually(async () => (await currentKey()) === 'key-new');
  });
});

describe('when Secrets Manager cannot be read', () => {
  it('a warm function keeps the value it last read; a cold start fails, naming nothing secret', async () => {
    const check = await loadReadTokenCheck(createSecretReader(env, { secrets: client }));
    sm.failing = true;
    await new Promise((r) => setTimeout(r, MAX_AGE_SECONDS * 1000 + 200));
    expect(await passes(() => check('Bearer token-old'))).toBe(true);
    await expect(loadReadTokenCheck(createSecretReader(env, { secrets: client }))).rejects.toThrow();
  });

  it('a secret still holding the stack placeholder fails the cold start, naming the variable', async () => {
    sm.set(arn('RENEWALS_READ_TOKENS'), SECRET_PLACEHOLDER);
    const loading = loadReadTokenCheck(createSecretReader(env, { secrets: client }));
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(/RENEWALS_READ_TOKENS_SECRET_ARN still holds its placeholder/);
  });

  it('SECRETS_MAX_AGE_SECONDS must be a whole number of seconds from 1 to 86400', () => {
    for (const bad of ['0', '-1', '1.5', 'ten', '86401']) {
      expect(() => createSecretReader({ ...env, SECRETS_MAX_AGE_SECONDS: bad }), bad).toThrow(/SECRETS_MAX_AGE_SECONDS/);
    }
  });
});

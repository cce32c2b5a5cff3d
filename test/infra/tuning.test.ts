/**
 * Tuning variables from context (README#deploying-to-aws, TUNING_SETTINGS in infra/settings.ts):
 * each `-c <key>=value` reaches exactly the functions that read the variable; unset, no function
 * gets it (the function's default applies); a value the function would refuse at cold start fails
 * synth, naming the key. Who reads what is spelled out here, as a contract with the handler code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED_PROVIDERS, PROVIDER_CONFIG, system, type FunctionDescription, type FunctionId } from '../../shared/system';
import { logicalId, resource, synthGateway, type SynthesizedGateway } from './synth';

const functions = (system.functions as readonly FunctionDescription[]).map((f) => f.id);
const consumers = ENABLED_PROVIDERS.map((p): FunctionId => `consumer-${p}`);
/** Consumers read AUTH_FAILURE_PAUSE_SECONDS only when their provider pauses on refused credentials. */
const pausingConsumers = ENABLED_PROVIDERS.filter((p) => PROVIDER_CONFIG[p].pauseOnAuthStatuses.length > 0).map((p): FunctionId => `consumer-${p}`);

/** Context key, value given, variable the function gets, value it gets, and the functions that read it. */
const SETTINGS: readonly { key: string; value: string; env: string; expected: string; readers: readonly FunctionId[] }[] = [
  { key: 'providerCallTimeoutMs', value: '8000', env: 'PROVIDER_CALL_TIMEOUT_MS', expected: '8000', readers: consumers },
  { key: 'renewalMaxAttempts', value: '5', env: 'RENEWAL_MAX_ATTEMPTS', expected: '5', readers: consumers },
  { key: 'retryBaseDelayMs', value: '1000', env: 'RETRY_BASE_DELAY_MS', expected: '1000', readers: consumers },
  { key: 'retryMaxDelayMs', value: '60000', env: 'RETRY_MAX_DELAY_MS', expected: '60000', readers: consumers },
  { key: 'authFailurePauseSeconds', value: '300', env: 'AUTH_FAILURE_PAUSE_SECONDS', expected: '300', readers: ['status', 'operator', ...pausingConsumers] },
  { key: 'deliveryTimeoutMs', value: '5000', env: 'DELIVERY_TIMEOUT_MS', expected: '5000', readers: ['delivery'] },
  { key: 'deliverySlowCallMs', value: '3000', env: 'DELIVERY_SLOW_CALL_MS', expected: '3000', readers: ['delivery'] },
  { key: 'deliveryRateLimit', value: '5/1s', env: 'DELIVERY_RATE_LIMIT', expected: '5/1s', readers: ['delivery'] },
  { key: 'deliveryRetryScheduleSeconds', value: '5,60,600', env: 'DELIVERY_RETRY_SCHEDULE_SECONDS', expected: '5,60,600', readers: ['delivery'] },
  { key: 'secretsMaxAgeSeconds', value: '60', env: 'SECRETS_MAX_AGE_SECONDS', expected: '60', readers: ['intake', 'status', 'schedules', 'operator', ...consumers] },
  // Powertools reads POWERTOOLS_LOG_LEVEL, in upper case only.
  { key: 'logLevel', value: 'debug', env: 'POWERTOOLS_LOG_LEVEL', expected: 'DEBUG', readers: functions },
];

const envOf = (g: SynthesizedGateway, id: FunctionId): Record<string, unknown> => {
  const f = g.stack.functions.get(id);
  if (!f) throw new Error(`no function ${id}`);
  const environment = resource(g.json, logicalId(g.stack, f.fn), 'AWS::Lambda::Function').Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
};

let defaults: SynthesizedGateway;
let tuned: SynthesizedGateway;
beforeAll(() => {
  defaults = synthGateway();
  tuned = synthGateway({ context: Object.fromEntries(SETTINGS.map((s) => [s.key, s.value])) });
});
afterAll(() => {
  defaults?.dispose();
  tuned?.dispose();
});

describe.each(SETTINGS.map((s) => [s.key, s] as const))('-c %s', (key, setting) => {
  it(`reaches exactly the functions that read ${setting.env}`, () => {
    const getting = functions.filter((id) => envOf(tuned, id)[setting.env] !== undefined);
    expect(getting.toSorted()).toEqual([...setting.readers].toSorted());
    for (const id of setting.readers) expect(envOf(tuned, id)[setting.env], id).toBe(setting.expected);
  });

  it('unset, leaves the function its default', () => {
    const getting = functions.filter((id) => envOf(defaults, id)[setting.env] !== undefined);
    if (setting.env === 'POWERTOOLS_LOG_LEVEL') {
      for (const id of functions) expect(envOf(defaults, id)[setting.env], id).toBe('INFO');
    } else {
      expect(getting).toEqual([]);
    }
  });
});

describe('a value the functions would refuse fails synth, naming the key', () => {
  const BAD: readonly [key: string, value: string][] = [
    ['providerCallTimeoutMs', '-1'],
    ['providerCallTimeoutMs', 'soon'],
    // Not below the consumer's 30 s timeout.
    ['providerCallTimeoutMs', '30000'],
    ['renewalMaxAttempts', '0'],
    ['renewalMaxAttempts', '2.5'],
    ['retryBaseDelayMs', '-5'],
    // Above the default ceiling (6 h).
    ['retryBaseDelayMs', '30000000'],
    // Below the default base (30 s).
    ['retryMaxDelayMs', '1000'],
    ['authFailurePauseSeconds', '0'],
    ['deliveryTimeoutMs', '50'],
    ['deliveryTimeoutMs', '120000'],
    ['deliverySlowCallMs', '50'],
    ['deliverySlowCallMs', 'slow'],
    ['deliveryRateLimit', 'fast'],
    ['deliveryRetryScheduleSeconds', '5,,60'],
    ['deliveryRetryScheduleSeconds', '5,0'],
    ['deliveryRetryScheduleSeconds', '-5'],
    ['deliveryRetryScheduleSeconds', '1.5'],
    ['secretsMaxAgeSeconds', '0'],
    ['secretsMaxAgeSeconds', '86401'],
    ['logLevel', 'verbose'],
    ['logLevel', 'TRACE'],
  ];
  it.each(BAD)('-c %s=%s', (key, value) => {
    expect(() => synthGateway({ context: { [key]: value } })).toThrow(new RegExp(`-c ${key}=`));
  });

  it('a retry base above the ceiling names both keys', () => {
    expect(() => synthGateway({ context: { retryBaseDelayMs: '60000', retryMaxDelayMs: '1000' } })).toThrow(
      /-c retryBaseDelayMs=60000, -c retryMaxDelayMs=1000 .*RETRY_BASE_DELAY_MS \(60000\) must not exceed RETRY_MAX_DELAY_MS \(1000\)/,
    );
  });

  it("a call timeout is checked against the rate limit the stage gives each consumer (a rate-limited call must leave time to wait for its slot)", () => {
    expect(() => synthGateway({ context: { providerCallTimeoutMs: '26000' } })).toThrow(/-c providerCallTimeoutMs=26000 .*rate limit/);
    const offs = Object.fromEntries(ENABLED_PROVIDERS.map((p) => [`${p}RateLimit`, 'off']));
    const g = synthGateway({ context: { ...offs, providerCallTimeoutMs: '26000' } });
    try {
      for (const id of consumers) expect(envOf(g, id).PROVIDER_CALL_TIMEOUT_MS, id).toBe('26000');
    } finally {
      g.dispose();
    }
  });
});

import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ENABLED_PROVIDERS, system, type EnabledProvider, type FunctionDescription, type FunctionId } from '../shared/system';
import { camel } from './naming';
import { RenewalGatewayStack } from './renewal-gateway-stack';
import { API_THROTTLE_DEFAULTS, TUNING_SETTINGS, contextKeyOf, providerSettingNames } from './settings';
import { tracingOf } from './constructs/gateway-function';

export const DEFAULT_STAGE = 'dev';
/** Lowercase, short: the stage is part of the stack name and of every generated resource name. */
const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

export interface GatewayAppOptions {
  /**
   * Run the cdk-nag AwsSolutions and Serverless rule packs at synthesis. Error findings fail
   * `cdk synth`; the nag test asserts there are no findings at all, warnings included.
   * @default true
   */
  readonly checks?: boolean;
}

/**
 * Adds the renewal gateway stack to an app, configured from context:
 * - `-c stage=<name>` (default `dev`): stack `RenewalGateway-<stage>`;
 * - `-c <provider>BaseUrl=https://...` (e.g. `pressoneBaseUrl`): a provider URL for this stage;
 * - `-c digitalriverAuthHeader=token`, `-c pelcroRateLimit=60/60s`…: provider settings
 *   (docs/architecture.md#configuration-names);
 * - `-c <provider>MaxConcurrency=N`: that provider's consumer concurrency (2–1000);
 * - `-c schedulerRateMinutes=N`: run the scheduler every N minutes instead of the described rate
 *   (any function with `runsEvery` in shared/system.ts has such a key: `<camelCaseId>RateMinutes`);
 * - `-c sweeperStaleAfterSeconds=N`: the sweeper's staleness (default 900);
 * - tuning variables by camel-cased name (`-c providerCallTimeoutMs=8000`, `-c retryBaseDelayMs=…`,
 *   `-c deliveryRetryScheduleSeconds=5,300`, `-c logLevel=DEBUG`…: TUNING_SETTINGS in infra/settings.ts),
 *   each given to the functions that read it and checked by their own reading of it; unset: their default;
 * - `-c apiRateLimit=N -c apiBurstLimit=N`: the HTTP API stage throttle (default 1000 rps, burst 5000);
 * - `-c intakeReservedConcurrency=N`: concurrency reserved for (and capping) intake (default 200; 0: none);
 * - `-c tracing=active|off`: X-Ray tracing of the functions (default off, read by GatewayFunction);
 * - `-c retainData=false`: a throwaway stage whose table, secrets and logs go with the stack.
 * Shared by `infra/app.ts` and the tests, so the tests check the stack that gets deployed.
 */
export function addRenewalGateway(app: App, options: GatewayAppOptions = {}): RenewalGatewayStack {
  const stage = stringContext(app, 'stage') ?? DEFAULT_STAGE;
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(`stage "${stage}" must match ${STAGE_PATTERN} (lowercase letters, digits, dashes)`);
  }
  const providerBaseUrls: Partial<Record<EnabledProvider, string>> = {};
  const providerEnvironment: Record<string, string> = {};
  const providerConcurrency: Partial<Record<EnabledProvider, number>> = {};
  for (const provider of ENABLED_PROVIDERS) {
    const url = stringContext(app, `${provider}BaseUrl`);
    if (url !== undefined) providerBaseUrls[provider] = url;
    const concurrency = stringContext(app, `${provider}MaxConcurrency`);
    if (concurrency !== undefined) {
      const value = Number(concurrency);
      if (!Number.isInteger(value)) throw new Error(`${provider}MaxConcurrency must be an integer, got ${concurrency}`);
      providerConcurrency[provider] = value;
    }
    for (const name of providerSettingNames(provider)) {
      const value = stringContext(app, contextKeyOf(name));
      if (value !== undefined) providerEnvironment[name] = value;
    }
  }
  const scheduleRateMinutes: Partial<Record<FunctionId, number>> = {};
  for (const fn of system.functions as readonly FunctionDescription[]) {
    if (!fn.runsEvery) continue;
    const key = scheduleRateContextKey(fn.id);
    const minutes = stringContext(app, key);
    if (minutes === undefined) continue;
    const value = Number(minutes);
    // EventBridge rates are whole minutes: `1.5` or `90s` is refused rather than rounded.
    if (!/^\d+$/.test(minutes.trim()) || value < 1) {
      throw new Error(`${key} must be a whole number of minutes, at least 1, got ${minutes}`);
    }
    scheduleRateMinutes[fn.id] = value;
  }
  const tuning: Record<string, string> = {};
  for (const { env } of TUNING_SETTINGS) {
    const value = stringContext(app, contextKeyOf(env));
    // `-c key=` (blank) is as good as unset: the function's default.
    if (value !== undefined && value.trim() !== '') tuning[env] = value;
  }
  const stale = stringContext(app, 'sweeperStaleAfterSeconds');
  if (stale !== undefined && !/^\d+$/.test(stale.trim())) throw new Error(`sweeperStaleAfterSeconds must be a whole number of seconds, got ${stale}`);
  const wholeNumber = (key: string): number | undefined => {
    const value = stringContext(app, key);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value.trim())) throw new Error(`${key} must be a whole number, got ${value}`);
    return Number(value);
  };
  const apiRateLimit = wholeNumber('apiRateLimit');
  const apiBurstLimit = wholeNumber('apiBurstLimit');
  const intakeReservedConcurrency = wholeNumber('intakeReservedConcurrency');
  tracingOf(app.node.tryGetContext('tracing'));
  const retainData = stringContext(app, 'retainData');
  if (retainData !== undefined && retainData !== 'true' && retainData !== 'false') {
    throw new Error(`retainData must be true or false, got ${retainData}`);
  }

  const stack = new RenewalGatewayStack(app, `RenewalGateway-${stage}`, {
    stage,
    providerBaseUrls,
    providerEnvironment,
    providerConcurrency,
    scheduleRateMinutes,
    ...(stale !== undefined ? { sweeperStaleAfterSeconds: Number(stale) } : {}),
    ...(apiRateLimit !== undefined || apiBurstLimit !== undefined
      ? { apiThrottle: { rateLimit: apiRateLimit ?? API_THROTTLE_DEFAULTS.rateLimit, burstLimit: apiBurstLimit ?? API_THROTTLE_DEFAULTS.burstLimit } }
      : {}),
    ...(intakeReservedConcurrency !== undefined ? { intakeReservedConcurrency } : {}),
    tuning,
    retainData: retainData !== 'false',
  });
  Tags.of(stack).add('project', 'renewal-gateway');
  Tags.of(stack).add('stage', stage);

  if (options.checks ?? true) {
    // cdk-nag 3 runs as a CDK policy-validation plugin: findings go to the validation report in
    // the cloud assembly and fail synthesis, acknowledgements are `Validations.of(x).acknowledge`.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
  }
  return stack;
}

/** `scheduler` -> `schedulerRateMinutes`: the context key overriding a scheduled function's rate. */
export const scheduleRateContextKey = (id: FunctionId): string => `${camel(id)}RateMinutes`;

/** Context from `-c key=value` arrives as a string; from cdk.json or tests it may be typed. */
function stringContext(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return String(value);
  throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
}

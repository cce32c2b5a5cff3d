/**
 * Typed configuration read once at cold start; anything missing or malformed fails the cold start
 * with a message naming the variable, rather than surfacing later as an odd runtime error.
 * Secrets are read at cold start too (so a missing one fails it) and again once their cached
 * value is older than `SECRETS_MAX_AGE_SECONDS` (see `createSecretReader`).
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const requireEnv = (env: Env, name: string): string => {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`environment variable ${name} is required`);
  return value;
};

export const optionalInt = (env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`environment variable ${name} must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
};

export const requireUrl = (env: Env, name: string): string => {
  const value = requireEnv(env, name);
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw new ConfigError(`environment variable ${name} must be an http(s) URL`);
  }
  return value;
};

/** Value the CDK stack stores in secrets that operators must set; a function refuses to start on it. */
export const SECRET_PLACEHOLDER = 'PLACEHOLDER-set-this-secret-value';

/** How long a warm function keeps a secret before reading it again: rotation takes effect within it. */
export const DEFAULT_SECRETS_MAX_AGE_SECONDS = 300;
export const SECRETS_MAX_AGE_ENV = 'SECRETS_MAX_AGE_SECONDS';

/** `SECRETS_MAX_AGE_SECONDS`: whole seconds from 1 to 86,400 (a day); unset: 300. */
export const secretsMaxAgeSeconds = (env: Env): number =>
  optionalInt(env, SECRETS_MAX_AGE_ENV, DEFAULT_SECRETS_MAX_AGE_SECONDS, 1, 86_400);

/** After a provider refuses the account's credentials, its other renewals wait this long (AUTH_FAILURE_PAUSE_SECONDS). */
export const DEFAULT_AUTH_FAILURE_PAUSE_SECONDS = 600;
export const AUTH_FAILURE_PAUSE_ENV = 'AUTH_FAILURE_PAUSE_SECONDS';

/**
 * `AUTH_FAILURE_PAUSE_SECONDS` in ms: whole seconds, at least 1; unset: 600. Read by the consumers
 * that pause (to pause) and by the status and operator functions (to show a pause's end).
 */
export const authFailurePauseMs = (env: Env): number =>
  optionalInt(env, AUTH_FAILURE_PAUSE_ENV, DEFAULT_AUTH_FAILURE_PAUSE_SECONDS, 1) * 1000;

/** Reads a named secret's current value; in AWS cached for at most `SECRETS_MAX_AGE_SECONDS`. */
export type SecretReader = (name: string) => Promise<string>;

/**
 * Secrets for a function. A secret NAME is the environment variable NAME when set (the local stack
 * and tests: fixed for the process) or else the Secrets Manager secret whose ARN is in
 * NAME_SECRET_ARN, read through Powertools Parameters, which caches each value for
 * `SECRETS_MAX_AGE_SECONDS` (default 300). So a rotated or revoked webhook secret, read token or
 * provider key takes effect in warm containers within that time, not at their next cold start.
 */
export const createSecretReader = (env: Env, clients: { readonly secrets?: SecretsManagerClient } = {}): SecretReader => {
  const maxAge = secretsMaxAgeSeconds(env);
  let provider: SecretsProvider | undefined;
  const lastRead = new Map<string, string>();
  return async (name) => {
    const direct = env[name]?.trim();
    if (direct) return direct;
    const arn = env[`${name}_SECRET_ARN`]?.trim();
    if (!arn) throw new ConfigError(`set ${name}, or ${name}_SECRET_ARN to a Secrets Manager secret holding it`);
    provider ??= new SecretsProvider(clients.secrets ? { awsSdkV3Client: clients.secrets } : {});
    let raw: unknown;
    try {
      raw = await provider.get(arn, { maxAge });
    } catch (error) {
      // Secrets Manager unreachable when the cached value expired: keep using the value last read
      // (it was valid then) rather than refusing every request; the cold start has none and fails.
      const last = lastRead.get(name);
      if (last !== undefined) return last;
      throw error;
    }
    const value = typeof raw === 'string' ? raw.trim() : undefined;
    if (!value) throw new ConfigError(`secret ${name}_SECRET_ARN holds no string value`);
    if (value === SECRET_PLACEHOLDER) throw new ConfigError(`secret ${name}_SECRET_ARN still holds its placeholder; set the real value`);
    lastRead.set(name, value);
    return value;
  };
};

/**
 * Something built from a secret's value (a verifier, a token digest), rebuilt only when the value
 * changes. Each call reads the secret (cached by the reader) and returns the current build.
 */
export const fromSecret = <T>(read: SecretReader, name: string, build: (value: string) => T): (() => Promise<T>) => {
  let last: { readonly value: string; readonly built: T } | undefined;
  return async () => {
    const value = await read(name);
    if (last?.value !== value) last = { value, built: build(value) };
    return last.built;
  };
};

/** Space-separated list (several webhook secrets or read tokens during rotation). */
export const splitList = (value: string): string[] => value.split(/\s+/).filter(Boolean);

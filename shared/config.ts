/**
 * Typed configuration read once at cold start; anything missing or malformed fails the cold start
 * with a message naming the variable, rather than surfacing later as an odd runtime error.
 *
 * A secret NAME is taken from the environment variable NAME (local stack, tests) or, in AWS, from
 * the Secrets Manager secret whose ARN is in NAME_SECRET_ARN.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

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

let secretsClient: SecretsManagerClient | undefined;

export const resolveSecret = async (env: Env, name: string): Promise<string> => {
  const direct = env[name]?.trim();
  if (direct) return direct;
  const arn = env[`${name}_SECRET_ARN`]?.trim();
  if (!arn) throw new ConfigError(`set ${name}, or ${name}_SECRET_ARN to a Secrets Manager secret holding it`);
  secretsClient ??= new SecretsManagerClient({});
  const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: arn }));
  const value = out.SecretString?.trim();
  if (!value) throw new ConfigError(`secret ${name}_SECRET_ARN holds no string value`);
  if (value === SECRET_PLACEHOLDER) throw new ConfigError(`secret ${name}_SECRET_ARN still holds its placeholder; set the real value`);
  return value;
};

/** Space-separated list (several webhook secrets or read tokens during rotation). */
export const splitList = (value: string): string[] => value.split(/\s+/).filter(Boolean);

import { PROVIDER_SECRETS, type ProviderSecretName } from '../shared/system';

/**
 * Local defaults (docs/architecture.md#configuration-names): printed by `npm start`, written in
 * the README, used by the CLI. They are development values only; in AWS every secret comes from
 * Secrets Manager.
 */
export const LOCAL_DEFAULTS = {
  PORT: 3000,
  LOCAL_DYNAMODB_PORT: 8000,
  LOCAL_SQS_PORT: 9324,
  LOCAL_SANDBOX_PORT: 9400,
  RENEWALS_WEBHOOK_SECRETS: `whsec_${Buffer.from('local-development-webhook-secret').toString('base64')}`,
  RENEWALS_READ_TOKENS: 'local-read-token',
  // name=token pairs: the name is what an operator's actions record as `by`.
  RENEWALS_OPERATOR_TOKENS: 'local-operator=local-operator-token',
  // Each provider's secrets, with the local default its declaration gives (e.g. PUNCHH_ADMIN_KEY).
  ...(Object.fromEntries(PROVIDER_SECRETS.map(([name, secret]) => [name, secret.localDefault])) as Record<ProviderSecretName, string>),
} as const;

/** The local default of a provider secret (every provider secret has one). */
export const localSecretDefault = (name: string): string => {
  const value = (LOCAL_DEFAULTS as Record<string, string | number>)[name];
  if (typeof value !== 'string') throw new Error(`no local default for ${name}`);
  return value;
};

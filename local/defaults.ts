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
  PRESSONE_API_KEY: 'local-pressone-key',
  PELCRO_API_KEY: 'local-pelcro-key',
  PUNCHH_ADMIN_KEY: 'local-punchh-admin-key',
  DIGITALRIVER_API_KEY: 'local-digitalriver-key',
  DIGITALRIVER_API_SECRET: 'local-digitalriver-secret',
} as const;

/** The local default of a provider secret (every provider secret has one). */
export const localSecretDefault = (name: string): string => {
  const value = (LOCAL_DEFAULTS as Record<string, string | number>)[name];
  if (typeof value !== 'string') throw new Error(`no local default for ${name}`);
  return value;
};

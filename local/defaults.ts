/**
 * Local defaults (DESIGN §4.5): printed by `npm start`, written in the README, used by the CLI.
 * They are development values only; in AWS every secret comes from Secrets Manager.
 */
export const LOCAL_DEFAULTS = {
  PORT: 3000,
  LOCAL_DYNAMODB_PORT: 8000,
  LOCAL_SQS_PORT: 9324,
  LOCAL_SANDBOX_PORT: 9400,
  RENEWALS_WEBHOOK_SECRETS: `whsec_${Buffer.from('local-development-webhook-secret').toString('base64')}`,
  RENEWALS_READ_TOKENS: 'local-read-token',
  PRESSONE_API_KEY: 'local-pressone-key',
} as const;

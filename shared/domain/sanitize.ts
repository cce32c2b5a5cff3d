/**
 * Redaction for anything that may reach logs, DynamoDB or a response: provider messages, error
 * texts. Emails are masked, bearer tokens, JWTs and known secret values removed, length bounded.
 */

// A domain ends in a label of two letters or more: `sdk@2.1.x` in a provider's message is no address.
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const WHSEC = /\bwhsec_[A-Za-z0-9+/=]+/g;

export const MAX_MESSAGE_LENGTH = 500;

/** `jane.doe@example.com` → `j***@example.com`. */
export const maskEmail = (email: string): string => email.replace(EMAIL, '$1***@$2');

// Stryker disable next-line ArrayDeclaration: the default `[]` replaced by a list holding Stryker's placeholder text changes only a text that contains that placeholder
export const sanitizeText = (text: string, secrets: readonly string[] = []): string => {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(JWT, '[redacted-jwt]').replace(BEARER, '$1 [redacted]').replace(WHSEC, '[redacted-secret]');
  out = maskEmail(out);
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : out;
};

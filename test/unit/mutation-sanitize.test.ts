/**
 * What reaches logs, records and responses, beyond sanitize-and-ids.test.ts: each kind of secret
 * removed whole (not just its first characters), what is put in its place, and the length bound
 * at its edge.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_LENGTH, maskEmail, sanitizeText } from '../../shared/domain/sanitize';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('sanitizeText', () => {
  it('replaces a whole JWT, signature included', () => {
    expect(sanitizeText(`token ${JWT} expired`)).toBe('token [redacted-jwt] expired');
  });

  it('replaces a whole bearer or basic credential, however many spaces follow the scheme', () => {
    expect(sanitizeText('Authorization: Bearer abc.def-123')).toBe('Authorization: Bearer [redacted]');
    expect(sanitizeText('sent bearer   tok_123456 twice')).toBe('sent bearer [redacted] twice');
    expect(sanitizeText('Basic a2V5OnNlY3JldA== refused')).toBe('Basic [redacted] refused');
  });

  it('replaces a whole webhook secret', () => {
    expect(sanitizeText('secret whsec_QUJDREVGR0g= leaked')).toBe('secret [redacted-secret] leaked');
  });

  it('replaces every occurrence of a configured secret of four characters or more', () => {
    expect(sanitizeText('key sk_1 and sk_1 again', ['sk_1'])).toBe('key [redacted] and [redacted] again');
    expect(sanitizeText('pin 1234 and 12345', ['12345'])).toBe('pin 1234 and [redacted]');
  });

  it('leaves a configured value shorter than four characters alone (it would blank out ordinary words)', () => {
    expect(sanitizeText('a bad day', ['a'])).toBe('a bad day');
    expect(sanitizeText('the key is abc', ['abc'])).toBe('the key is abc');
  });

  it('keeps a message of exactly the maximum length whole, and cuts a longer one with an ellipsis', () => {
    expect(MAX_MESSAGE_LENGTH).toBe(500);
    expect(sanitizeText('x'.repeat(500))).toBe('x'.repeat(500));
    expect(sanitizeText('x'.repeat(501))).toBe(`${'x'.repeat(499)}…`);
  });
});

describe('maskEmail', () => {
  it('keeps the first character and the domain of every address', () => {
    expect(maskEmail('jane.doe@example.com, ops@brand.co.uk')).toBe('j***@example.com, o***@brand.co.uk');
  });
});

describe('what is not an address stays readable', () => {
  it('leaves a package@version in a provider message alone: a domain ends in two letters or more', () => {
    expect(sanitizeText('upgrade client sdk@2.1.x first')).toBe('upgrade client sdk@2.1.x first');
    expect(maskEmail('lodash@4.17.x, jane@example.com')).toBe('lodash@4.17.x, j***@example.com');
  });
});

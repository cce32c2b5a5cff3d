import { describe, expect, it } from 'vitest';
import { maskEmail, sanitizeText } from '../../shared/domain/sanitize';
import { renewalIdFor, requestHash, stableStringify } from '../../shared/domain/renewal';

describe('sanitize', () => {
  it('masks emails and removes tokens, secrets and known values', () => {
    expect(maskEmail('write to jane.doe@example.com now')).toBe('write to j***@example.com now');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const out = sanitizeText(`token ${jwt}; Authorization: Bearer abc.def; key sk_live_123456 whsec_QUJD`, ['sk_live_123456']);
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('abc.def');
    expect(out).not.toContain('sk_live_123456');
    expect(out).not.toContain('whsec_QUJD');
  });

  it('bounds the length', () => {
    expect(sanitizeText('x'.repeat(2_000)).length).toBe(500);
  });
});

describe('ids and fingerprints', () => {
  it('derives a stable, opaque renewal id from the idempotency key', () => {
    expect(renewalIdFor('abc')).toBe(renewalIdFor('abc'));
    expect(renewalIdFor('abc')).not.toBe(renewalIdFor('abd'));
    expect(renewalIdFor('abc')).toMatch(/^rnw_[a-z2-7]{26}$/);
  });

  it('hashes requests independent of key order and without secret params', () => {
    expect(stableStringify({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const base = { provider: 'pelcro', operation: 'renew', subscription: '1' } as const;
    expect(requestHash({ ...base, params: { planId: 1, customerToken: 'one' } })).toBe(requestHash({ ...base, params: { customerToken: 'two', planId: 1 } }));
    expect(requestHash({ ...base, params: { planId: 1 } })).not.toBe(requestHash({ ...base, params: { planId: 2 } }));
  });
});

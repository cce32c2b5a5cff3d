/**
 * A provider folder's part that does not export its constant is refused with an error naming the
 * file and the export (shared/providers/parts.ts), not read as undefined later.
 */
import { describe, expect, it } from 'vitest';
import { partOf } from '../../shared/providers/parts';

describe('partOf', () => {
  it('returns the export named after the part', () => {
    const canonical = { subscription: {}, params: {} };
    expect(partOf('acme', 'canonical', { canonical })).toBe(canonical);
  });

  it.each([
    ['a module without the export', { other: {} }],
    ['an export that is not an object', { call: 'call' }],
    ['an export that is null', { call: null }],
    ['no module at all', undefined],
  ])('refuses %s, naming the file and the export', (_name, module) => {
    expect(() => partOf('acme', 'call', module)).toThrow('provider acme: shared/providers/acme/call.ts does not export `call`');
  });
});

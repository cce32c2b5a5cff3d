/**
 * A provider folder's part that does not export its constant is refused with an error naming the
 * file and the export (shared/providers/parts.ts), not read as undefined later.
 */
import { describe, expect, it } from 'vitest';
import { loadOnce, partOf } from '../../shared/providers/parts';

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

describe('loadOnce', () => {
  it('refuses a null module with the same error, not a TypeError', () => {
    expect(() => partOf('acme', 'native', null)).toThrow('provider acme: shared/providers/acme/native.ts does not export `native`');
  });

  it('loads each key once, and every later call gets the same promise', async () => {
    const calls: string[] = [];
    const get = loadOnce(async (key: string) => {
      calls.push(key);
      return { key };
    });
    const first = get('pelcro');
    expect(get('pelcro')).toBe(first);
    await get('punchh');
    expect(await get('pelcro')).toBe(await first);
    expect(calls).toEqual(['pelcro', 'punchh']);
  });

  it('loads a key again after its load failed', async () => {
    let attempt = 0;
    const get = loadOnce(async (key: string) => {
      attempt += 1;
      if (attempt === 1) throw new Error(`cannot load ${key}`);
      return `${key} #${attempt}`;
    });
    await expect(get('pelcro')).rejects.toThrow('cannot load pelcro');
    expect(await get('pelcro')).toBe('pelcro #2');
    expect(await get('pelcro')).toBe('pelcro #2');
    expect(attempt).toBe(2);
  });
});
